"""The values the log store hands out, and how CloudWatch Logs measures events."""

from __future__ import annotations

import time
from dataclasses import dataclass

# The most bytes of events one read returns, counted as AWS counts a batch (UTF-8 + 26 each).
PAGE_BYTES = 1_048_576
EVENT_OVERHEAD_BYTES = 26


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def event_size(message: str) -> int:
    """A message's size as CloudWatch Logs counts it against its limits."""
    return len(message.encode("utf-8")) + EVENT_OVERHEAD_BYTES


@dataclass(frozen=True)
class LogGroup:
    id: int
    name: str
    created_ms: int
    log_group_class: str
    kms_key_id: str | None
    stored_bytes: int


@dataclass(frozen=True)
class LogStream:
    id: int
    group_id: int
    name: str
    created_ms: int
    first_event_ms: int | None
    last_event_ms: int | None
    last_ingestion_ms: int | None
    stored_bytes: int
    uploads: int


@dataclass(frozen=True)
class LogEvent:
    seq: int
    stream_id: int
    timestamp: int
    ingestion_time: int
    message: str
    stream_name: str | None = None  # filled in by group-wide reads

    @property
    def position(self) -> tuple[int, int]:
        return (self.timestamp, self.seq)


@dataclass(frozen=True)
class StreamSelection:
    """Which streams of a group a group-wide read covers: all, a prefix, or named ones."""

    prefix: str | None = None
    names: tuple[str, ...] | None = None
