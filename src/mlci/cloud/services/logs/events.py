"""Log event operations: PutLogEvents (with AWS's batch rules), GetLogEvents, FilterLogEvents."""

from __future__ import annotations

import itertools
from typing import Any

from mlci.cloud.protocols.json_rpc import Handler
from mlci.cloud.service import Context
from mlci.cloud.services.logs.paging import (
    DEFAULT_LIMIT,
    Window,
    filter_group_page,
    read_stream_page,
)
from mlci.cloud.services.logs.pattern import parse_filter_pattern
from mlci.cloud.services.logs.records import LogEvent, StreamSelection, event_size, now_ms
from mlci.cloud.services.logs.resources import invalid, requested_group
from mlci.cloud.services.logs.store import ALL, LogStore
from mlci.cloud.services.logs.tokens import page_token, parse_page_token, sequence_token

MAX_BATCH_BYTES = 1_048_576
MAX_EVENT_BYTES = 1_048_576
_HOUR_MS = 3_600_000
TOO_OLD_MS = 14 * 24 * _HOUR_MS
TOO_NEW_MS = 2 * _HOUR_MS
MAX_SPAN_MS = 24 * _HOUR_MS


def check_batch(events: list[dict[str, Any]]) -> None:
    """The rules that fail a whole PutLogEvents batch: order and size."""
    for earlier, later in itertools.pairwise(events):
        if later["timestamp"] < earlier["timestamp"]:
            raise invalid(
                "Log events in a single PutLogEvents request must be in chronological order."
            )
    total = 0
    for event in events:
        size = event_size(event["message"])
        if size > MAX_EVENT_BYTES:
            raise invalid(f"Log event too large: {size} bytes exceeds limit of {MAX_EVENT_BYTES}")
        total += size
    if total > MAX_BATCH_BYTES:
        raise invalid(f"Upload too large: {total} bytes exceeds limit of {MAX_BATCH_BYTES}")


def split_by_age(
    events: list[dict[str, Any]], now: int
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Events within 14 days back and 2 hours ahead of `now`, and the rejectedLogEventsInfo
    for the rest. The batch is chronological, so the too-old ones lead and the too-new trail."""
    info: dict[str, int] = {}
    accepted = []
    for index, event in enumerate(events):
        if event["timestamp"] < now - TOO_OLD_MS:
            info["tooOldLogEventEndIndex"] = index
        elif event["timestamp"] > now + TOO_NEW_MS:
            info.setdefault("tooNewLogEventStartIndex", index)
        else:
            accepted.append(event)
    if accepted and accepted[-1]["timestamp"] - accepted[0]["timestamp"] > MAX_SPAN_MS:
        raise invalid(
            "The batch of log events in a single PutLogEvents request cannot span more than "
            "24 hours."
        )
    return accepted, info


def _output_event(event: LogEvent) -> dict[str, Any]:
    return {
        "timestamp": event.timestamp,
        "message": event.message,
        "ingestionTime": event.ingestion_time,
    }


class EventHandlers:
    def __init__(self, store: LogStore) -> None:
        self.store = store

    def operations(self) -> dict[str, Handler]:
        return {
            "PutLogEvents": self.put_log_events,
            "GetLogEvents": self.get_log_events,
            "FilterLogEvents": self.filter_log_events,
        }

    def put_log_events(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        # sequenceToken is accepted and ignored, as AWS has done since 2023.
        events = params["logEvents"]
        check_batch(events)
        accepted, rejected = split_by_age(events, now_ms())
        stream = self.store.append(
            params["logGroupName"],
            params["logStreamName"],
            [(event["timestamp"], event["message"]) for event in accepted],
        )
        result: dict[str, Any] = {"nextSequenceToken": sequence_token(stream.uploads)}
        if rejected:
            result["rejectedLogEventsInfo"] = rejected
        return result

    def get_log_events(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        stream = self.store.stream(requested_group(params, ctx), params["logStreamName"])
        page = read_stream_page(
            self.store,
            stream.id,
            Window(params.get("startTime", 0), params.get("endTime")),
            limit=params.get("limit", DEFAULT_LIMIT),
            start_from_head=bool(params.get("startFromHead", False)),
            token=params.get("nextToken"),
        )
        return {
            "events": [_output_event(event) for event in page.events],
            "nextForwardToken": page.forward_token,
            "nextBackwardToken": page.backward_token,
        }

    def filter_log_events(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        group = self.store.group(requested_group(params, ctx))
        names, prefix = params.get("logStreamNames"), params.get("logStreamNamePrefix")
        if names is not None and prefix is not None:
            raise invalid("logStreamNames and logStreamNamePrefix cannot both be specified.")
        selection = StreamSelection(prefix, tuple(names) if names is not None else None)
        pattern = parse_filter_pattern(params.get("filterPattern", ""))
        token = params.get("nextToken")
        resume = parse_page_token(token, "filter", (int, int)) if token else None
        page = filter_group_page(
            self.store,
            group,
            selection,
            pattern,
            start=params.get("startTime", 0),
            end_inclusive=params.get("endTime"),
            limit=params.get("limit", DEFAULT_LIMIT),
            resume_after=(int(resume[0]), int(resume[1])) if resume else None,
        )
        searched = self.store.list_streams(group, selection=selection, limit=ALL)
        result: dict[str, Any] = {
            "events": [
                {**_output_event(e), "logStreamName": e.stream_name, "eventId": f"{e.seq:056d}"}
                for e in page.events
            ],
            "searchedLogStreams": [
                {"logStreamName": s.name, "searchedCompletely": page.resume_after is None}
                for s in searched
            ],
        }
        if page.resume_after is not None:
            result["nextToken"] = page_token("filter", *page.resume_after)
        return result
