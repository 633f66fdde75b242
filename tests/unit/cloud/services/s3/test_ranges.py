"""Range header parsing: the three forms S3 serves, what it ignores, what it refuses."""

from __future__ import annotations

import pytest

from mlci.cloud.errors import AwsError
from mlci.cloud.services.s3.ranges import ByteRange, parse_range


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        ("bytes=0-9", 100, ByteRange(0, 10)),
        ("bytes=10-", 100, ByteRange(10, 90)),
        ("bytes=-10", 100, ByteRange(90, 10)),
        ("bytes=-500", 100, ByteRange(0, 100)),  # a suffix longer than the object: all of it
        ("bytes=90-500", 100, ByteRange(90, 10)),  # an end past the object is clamped
        ("bytes=99-99", 100, ByteRange(99, 1)),
        ("bytes = 1-2", 100, ByteRange(1, 2)),
    ],
)
def test_satisfiable_ranges(header: str, size: int, expected: ByteRange) -> None:
    assert parse_range(header, size) == expected


@pytest.mark.parametrize(
    "header", [None, "bytes=", "bytes=-", "items=0-1", "bytes=5-1", "bytes=0-1,3-4", "bytes=a-b"]
)
def test_unparsable_or_multiple_ranges_are_ignored(header: str | None) -> None:
    assert parse_range(header, 100) is None


@pytest.mark.parametrize(
    ("header", "size"),
    [("bytes=100-", 100), ("bytes=200-300", 100), ("bytes=-0", 100), ("bytes=0-", 0)],
)
def test_unsatisfiable_ranges_are_refused(header: str, size: int) -> None:
    with pytest.raises(AwsError, match="not satisfiable") as caught:
        parse_range(header, size)
    assert caught.value.code == "InvalidRange"
    assert caught.value.status == 416
    assert caught.value.extra["ActualObjectSize"] == str(size)


def test_content_range_names_the_bytes_served() -> None:
    assert ByteRange(90, 10).content_range(100) == "bytes 90-99/100"
