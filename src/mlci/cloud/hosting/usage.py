"""Invocation counts and latencies per endpoint variant, by minute, for CloudWatch's
AWS/SageMaker metrics (`services/monitoring.py`).

Kept in memory for the last few hours: these are recent-traffic figures, not an archive, and
recording one must cost the invocation path next to nothing (a dict update under a lock).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

KEEP_SECONDS = 3 * 3600
MINUTE = 60


@dataclass
class Minute:
    invocations: int = 0
    latency_us_total: float = 0.0
    latency_us_min: float = float("inf")
    latency_us_max: float = 0.0
    errors_4xx: int = 0
    errors_5xx: int = 0


Key = tuple[str, str, str, int]  # (region, endpoint lower-cased, variant, minute start)


class Usage:
    def __init__(self) -> None:
        self._minutes: dict[Key, Minute] = {}
        self._lock = threading.Lock()
        self._pruned = 0.0

    def record(self, region: str, endpoint: str, variant: str, seconds: float, status: int) -> None:
        now = time.time()
        key = (region, endpoint.lower(), variant, int(now // MINUTE) * MINUTE)
        latency = seconds * 1e6
        with self._lock:
            minute = self._minutes.get(key)
            if minute is None:
                minute = self._minutes[key] = Minute()
            minute.invocations += 1
            minute.latency_us_total += latency
            minute.latency_us_min = min(minute.latency_us_min, latency)
            minute.latency_us_max = max(minute.latency_us_max, latency)
            if 400 <= status < 500:
                minute.errors_4xx += 1
            elif status >= 500:
                minute.errors_5xx += 1
            if now - self._pruned > MINUTE:
                self._prune(now)

    def minutes(
        self, region: str, endpoint: str, variant: str, start: float, end: float
    ) -> list[tuple[int, Minute]]:
        with self._lock:
            return sorted(
                (key[3], Minute(**vars(minute)))
                for key, minute in self._minutes.items()
                if key[:3] == (region, endpoint.lower(), variant) and start <= key[3] < end
            )

    def _prune(self, now: float) -> None:
        self._pruned = now
        for key in [k for k in self._minutes if k[3] < now - KEEP_SECONDS]:
            del self._minutes[key]


_usages: dict[Path, Usage] = {}
_usages_lock = threading.Lock()


def usage_for(home: Path) -> Usage:
    """The one Usage of a cloud home, shared by the runtime (which records) and monitoring."""
    with _usages_lock:
        return _usages.setdefault(home.resolve(), Usage())
