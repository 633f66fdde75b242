"""PutLogEvents' batch rules: order, sizes counted in UTF-8 plus 26 bytes, age and span."""

from __future__ import annotations

import pytest

from mlci.cloud.errors import AwsError
from mlci.cloud.services.logs.events import (
    MAX_SPAN_MS,
    TOO_NEW_MS,
    TOO_OLD_MS,
    check_batch,
    split_by_age,
)

NOW = 1_800_000_000_000


def _events(*stamps: int, message: str = "m") -> list[dict[str, object]]:
    return [{"timestamp": t, "message": message} for t in stamps]


def test_equal_timestamps_are_chronological() -> None:
    check_batch(_events(5, 5, 6))


def test_a_step_back_in_time_fails_the_batch() -> None:
    with pytest.raises(AwsError, match="must be in chronological order") as raised:
        check_batch(_events(5, 7, 6))
    assert raised.value.code == "InvalidParameterException"


def test_sizes_count_utf8_bytes_plus_26_per_event() -> None:
    # "é" is two bytes in UTF-8: 524,262 bytes of message + 26 = 524,288 per event
    fits = _events(1, 2, message="é" * 262_131)
    check_batch(fits)
    with pytest.raises(AwsError, match="Upload too large: 1048580 bytes"):
        check_batch(_events(1, 2, message="é" * 262_132))
    with pytest.raises(AwsError, match="Log event too large: 1048578 bytes"):
        check_batch(_events(1, message="é" * 524_276))


def test_age_limits_are_inclusive_at_their_edges() -> None:
    edge = _events(NOW - TOO_OLD_MS, NOW + TOO_NEW_MS)
    with pytest.raises(AwsError, match="cannot span more than 24 hours"):
        split_by_age(edge, NOW)  # both kept, and 14 days apart
    accepted, info = split_by_age(_events(NOW - TOO_OLD_MS - 1, NOW, NOW + TOO_NEW_MS + 1), NOW)
    assert [e["timestamp"] for e in accepted] == [NOW]
    assert info == {"tooOldLogEventEndIndex": 0, "tooNewLogEventStartIndex": 2}


def test_a_batch_of_only_rejected_events_stores_nothing() -> None:
    accepted, info = split_by_age(_events(NOW - TOO_OLD_MS - 5, NOW - TOO_OLD_MS - 4), NOW)
    assert accepted == []
    assert info == {"tooOldLogEventEndIndex": 1}


def test_a_span_of_exactly_a_day_is_allowed() -> None:
    accepted, _ = split_by_age(_events(NOW - MAX_SPAN_MS, NOW), NOW)
    assert len(accepted) == 2
