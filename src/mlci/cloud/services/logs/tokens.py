"""Pagination tokens of the Logs API.

GetLogEvents tokens name a gap in a stream's (timestamp, seq) order: "after the event at
(timestamp, seq)". A forward token reads the events after the gap, a backward token the events
before it. Because seq is an integer, the gap just before event (t, s) is the gap after (t, s-1),
so one kind of position serves both directions. They look like AWS's ("f/" or "b/", 56 digits,
"/s"): 20 digits of timestamp, then 36 of seq.

The other operations' tokens (DescribeLogGroups, DescribeLogStreams, FilterLogEvents) are
opaque: URL-safe base64 of a small JSON list tagged with what it pages through, so a token
handed to the wrong operation, or altered, is refused rather than misread.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Literal

from mlci.cloud.errors import AwsError

INVALID_TOKEN = "The specified nextToken is invalid."
_SQLITE_MAX = 2**63 - 1
_EVENT_TOKEN = re.compile(r"([fb])/(\d{20})(\d{36})/s")

Direction = Literal["f", "b"]
Position = tuple[int, int]  # (timestamp, seq): the gap just after that event


def invalid_token() -> AwsError:
    return AwsError("InvalidParameterException", INVALID_TOKEN)


def gap_before(timestamp: int, seq: int) -> Position:
    return (timestamp, seq - 1)


def event_token(direction: Direction, position: Position) -> str:
    timestamp, seq = position
    return f"{direction}/{timestamp:020d}{seq:036d}/s"


def parse_event_token(token: str) -> tuple[Direction, Position]:
    match = _EVENT_TOKEN.fullmatch(token)
    if match is None:
        raise invalid_token()
    timestamp, seq = int(match[2]), int(match[3])
    if timestamp > _SQLITE_MAX or seq > _SQLITE_MAX:
        raise invalid_token()
    direction: Direction = "f" if match[1] == "f" else "b"
    return direction, (timestamp, seq)


def page_token(kind: str, *values: int | str) -> str:
    raw = json.dumps([kind, *values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def parse_page_token(token: str, kind: str, types: tuple[type, ...]) -> list[int | str]:
    """The values a `page_token(kind, ...)` carried, checked against `types`."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        decoded = json.loads(raw)
    except (binascii.Error, ValueError):
        raise invalid_token() from None
    if not isinstance(decoded, list) or len(decoded) != len(types) + 1 or decoded[0] != kind:
        raise invalid_token()
    values = decoded[1:]
    for value, expected in zip(values, types, strict=True):
        if isinstance(value, bool) or not isinstance(value, expected):
            raise invalid_token()
        if isinstance(value, int) and not 0 <= value <= _SQLITE_MAX:
            raise invalid_token()
    return values


def sequence_token(uploads: int) -> str:
    """PutLogEvents' nextSequenceToken: AWS no longer checks it, but still returns one."""
    return f"{uploads:056d}"
