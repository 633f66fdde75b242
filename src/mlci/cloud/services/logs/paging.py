"""Reading events a page at a time: GetLogEvents' two-way tokens and FilterLogEvents' scan.

GetLogEvents, as AWS defines it: without a token the first page is the oldest events
(startFromHead) or the newest; every page returns both tokens, never null; reading on in a
direction that has no more events returns no events and the very token that was passed in.
SageMaker's log tailing relies on that last rule: it reads forward until a page is empty.
A token's own direction decides which way a page reads; startFromHead matters only without one.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlci.cloud.services.logs.pattern import FilterPattern
from mlci.cloud.services.logs.records import (
    PAGE_BYTES,
    LogEvent,
    LogGroup,
    StreamSelection,
    event_size,
)
from mlci.cloud.services.logs.store import LogStore
from mlci.cloud.services.logs.tokens import (
    Position,
    event_token,
    gap_before,
    parse_event_token,
)

DEFAULT_LIMIT = 10_000
# FilterLogEvents examines at most this many events per call, then returns what it found with
# a nextToken (AWS likewise returns partial, even empty, pages of a long search).
SCAN_BUDGET = 100_000
_SCAN_CHUNK = 2_000
_END_OF_TIME = 2**63 - 1


@dataclass(frozen=True)
class Window:
    """Timestamps a read covers: start <= timestamp < end."""

    start: int = 0
    end: int | None = None


@dataclass(frozen=True)
class EventsPage:
    events: list[LogEvent]
    forward_token: str
    backward_token: str


def read_stream_page(
    store: LogStore,
    stream_id: int,
    window: Window,
    *,
    limit: int = DEFAULT_LIMIT,
    start_from_head: bool = False,
    token: str | None = None,
) -> EventsPage:
    if token is None:
        forward = start_from_head
        position: Position = (window.start, 0) if forward else (_END_OF_TIME, _END_OF_TIME)
    else:
        direction, position = parse_event_token(token)
        forward = direction == "f"
    if forward:
        events = store.events_after(
            stream_id, position, start=window.start, end=window.end, limit=limit
        )
    else:
        events = store.events_upto(
            stream_id, position, start=window.start, end=window.end, limit=limit
        )
    if events:
        first, last = events[0], events[-1]
        return EventsPage(
            events,
            event_token("f", last.position),
            event_token("b", gap_before(*first.position)),
        )
    return _empty_page(token, position if token else (window.start, 0))


def _empty_page(token: str | None, position: Position) -> EventsPage:
    """No events in the direction read: hand back the caller's token unchanged for that
    direction, and the same gap for the other one."""
    forward, backward = event_token("f", position), event_token("b", position)
    if token is not None and token.startswith("f/"):
        forward = token
    elif token is not None:
        backward = token
    return EventsPage([], forward, backward)


@dataclass(frozen=True)
class FilterPage:
    events: list[LogEvent]
    # where the next call resumes, or None when the search is complete
    resume_after: Position | None


def filter_group_page(
    store: LogStore,
    group: LogGroup,
    selection: StreamSelection,
    pattern: FilterPattern,
    *,
    start: int = 0,
    end_inclusive: int | None = None,
    limit: int = DEFAULT_LIMIT,
    resume_after: Position | None = None,
    scan_budget: int = SCAN_BUDGET,
    chunk_size: int = _SCAN_CHUNK,
) -> FilterPage:
    """Matching events of the selected streams, by (timestamp, seq), up to `limit` events or
    PAGE_BYTES; stops early, with a resume position, once `scan_budget` events were examined."""
    position = resume_after or (start, 0)
    end = None if end_inclusive is None else end_inclusive + 1
    found: list[LogEvent] = []
    size = examined = 0
    while True:
        chunk = store.group_events_after(
            group, position, selection=selection, end=end, limit=chunk_size
        )
        exhausted = len(chunk) < chunk_size
        for index, event in enumerate(chunk):
            if not pattern.matches(event.message):
                position = event.position
                continue
            size += event_size(event.message)
            if found and size > PAGE_BYTES:
                return FilterPage(found, position)
            found.append(event)
            position = event.position
            if len(found) == limit:
                at_end = exhausted and index == len(chunk) - 1
                return FilterPage(found, None if at_end else position)
        examined += len(chunk)
        if exhausted:
            return FilterPage(found, None)
        if examined >= scan_budget:
            return FilterPage(found, position)
