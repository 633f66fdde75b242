"""The time every SageMaker record is stamped with.

SageMaker reports timestamps with millisecond precision. Rounding here means a CreationTime a
client read back and passes as CreationTimeAfter/Before compares exactly with what is stored.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    # Seconds since the epoch, rounded to milliseconds.
    def now(self) -> float: ...


class SystemClock:
    def now(self) -> float:
        return round(time.time(), 3)
