"""Conditional request evaluation in RFC 9110 / S3 order."""

from __future__ import annotations

import pytest

from mlci.cloud.errors import AwsError
from mlci.cloud.services.s3 import conditions
from mlci.cloud.services.s3.metadata import http_date

ETAG = "5d41402abc4b2a76b9719d911017c592"
MODIFIED = 1_700_000_000.5
BEFORE, AT, AFTER = http_date(MODIFIED - 60), http_date(MODIFIED), http_date(MODIFIED + 60)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, False),
        ({"if-none-match": f'"{ETAG}"'}, True),
        ({"if-none-match": '"other", W/"' + ETAG + '"'}, True),
        ({"if-none-match": "*"}, True),
        ({"if-none-match": '"other"'}, False),
        ({"if-modified-since": AT}, True),
        ({"if-modified-since": BEFORE}, False),
        # If-None-Match decides alone when both are sent
        ({"if-none-match": '"other"', "if-modified-since": AFTER}, False),
        ({"if-match": f'"{ETAG}"', "if-unmodified-since": BEFORE}, False),  # If-Match wins
        ({"if-modified-since": "not a date"}, False),
    ],
)
def test_reads(headers: dict[str, str], expected: bool) -> None:
    assert conditions.not_modified(headers, ETAG, MODIFIED) is expected


@pytest.mark.parametrize(
    ("headers", "condition"),
    [
        ({"if-match": '"other"'}, "If-Match"),
        ({"if-unmodified-since": BEFORE}, "If-Unmodified-Since"),
    ],
)
def test_failed_preconditions_are_412(headers: dict[str, str], condition: str) -> None:
    with pytest.raises(AwsError, match="pre-conditions") as caught:
        conditions.not_modified(headers, ETAG, MODIFIED)
    assert caught.value.status == 412
    assert caught.value.extra["Condition"] == condition


def test_copy_source_conditions_fail_with_412_even_for_none_match() -> None:
    conditions.check_copy_source({"x-amz-copy-source-if-match": ETAG}, ETAG, MODIFIED)
    with pytest.raises(AwsError, match="pre-conditions") as caught:
        conditions.check_copy_source({"x-amz-copy-source-if-none-match": ETAG}, ETAG, MODIFIED)
    assert caught.value.code == "PreconditionFailed"


def test_a_date_without_a_zone_is_read_as_utc() -> None:
    assert conditions.parse_http_date("Tue, 14 Nov 2023 22:13:20 -0000") == 1_700_000_000
