"""Logs pagination tokens: the AWS-shaped event tokens and the opaque page tokens."""

from __future__ import annotations

import pytest

from mlci.cloud.errors import AwsError
from mlci.cloud.services.logs.tokens import (
    event_token,
    gap_before,
    page_token,
    parse_event_token,
    parse_page_token,
    sequence_token,
)


def test_event_token_has_the_aws_shape_and_round_trips() -> None:
    token = event_token("f", (1_700_000_000_123, 42))
    assert token.startswith("f/") and token.endswith("/s")
    assert len(token) == len("f/") + 56 + len("/s")
    assert parse_event_token(token) == ("f", (1_700_000_000_123, 42))
    assert parse_event_token(event_token("b", (0, 0))) == ("b", (0, 0))


def test_gap_before_an_event_is_the_gap_after_its_predecessor_seq() -> None:
    assert gap_before(500, 7) == (500, 6)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "f/123/s",
        "x/" + "0" * 56 + "/s",
        "f/" + "0" * 56,
        "f/" + "0" * 55 + "a/s",
        "f/" + "9" * 56 + "/s",  # beyond what SQLite can hold
        "f/" + "0" * 56 + "/s\n",
    ],
)
def test_malformed_event_tokens_are_refused(token: str) -> None:
    with pytest.raises(AwsError, match="nextToken is invalid") as raised:
        parse_event_token(token)
    assert raised.value.code == "InvalidParameterException"


def test_page_token_round_trips_its_values() -> None:
    token = page_token("streams:name:asc", 0, "job/algo-1-1700000000")
    assert parse_page_token(token, "streams:name:asc", (int, str)) == [0, "job/algo-1-1700000000"]


@pytest.mark.parametrize(
    ("token", "kind", "types"),
    [
        (page_token("groups", "a"), "filter", (int, int)),  # another operation's token
        (page_token("filter", 1), "filter", (int, int)),  # too few values
        (page_token("filter", "1", 2), "filter", (int, int)),  # wrong type
        (page_token("filter", True, 2), "filter", (int, int)),  # bool is not an int here
        (page_token("filter", -1, 2), "filter", (int, int)),  # negative position
        (page_token("filter", 2**63, 2), "filter", (int, int)),  # too large for SQLite
        ("not base64 !!", "filter", (int, int)),
        ("bm90IGpzb24", "filter", (int, int)),  # base64 of "not json"
        ("eyJhIjoxfQ", "filter", (int, int)),  # a JSON object, not a list
    ],
)
def test_foreign_or_altered_page_tokens_are_refused(
    token: str, kind: str, types: tuple[type, ...]
) -> None:
    with pytest.raises(AwsError, match="nextToken is invalid"):
        parse_page_token(token, kind, types)


def test_sequence_token_is_a_56_digit_number() -> None:
    assert sequence_token(3) == "0" * 55 + "3"
