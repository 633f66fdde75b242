"""The time every SageMaker record is stamped with.

SageMaker reports timestamps with millisecond precision. Rounding here means a CreationTime a
client read back and passes as CreationTimeAfter/Before compares exactly with what is stored.
Records are stamped inside their write transaction and the clock never runs backwards, so
CreationTime order is commit order: version N+1 of a package is never "older" than version N.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    # Seconds since the epoch, rounded to milliseconds; never less than a previous answer.
    def now(self) -> float: ...


class SystemClock:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0.0

    def now(self) -> float:
        with self._lock:
            self._last = max(self._last, round(time.time(), 3))
            return self._last
