"""Bucket-name rules and key decoding: keys are data, never paths."""

from __future__ import annotations

import pytest

from mlci.cloud.errors import AwsError
from mlci.cloud.services.s3.names import check_bucket_name, split_path


@pytest.mark.parametrize("name", ["abc", "my-bucket.v2", "a" * 63, "0bucket9"])
def test_valid_bucket_names(name: str) -> None:
    check_bucket_name(name)


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("ab", "between 3 and 63"),
        ("a" * 64, "between 3 and 63"),
        ("Upper", "lowercase"),
        ("under_score", "lowercase"),
        ("-start", "begin and end"),
        ("a..b", "adjacent periods"),
        ("a.-b", "period next to a hyphen"),
        ("192.168.1.1", "IP address"),
        ("xn--bucket", "reserves"),
        ("bucket-s3alias", "reserves"),
    ],
)
def test_invalid_bucket_names(name: str, why: str) -> None:
    with pytest.raises(AwsError, match=why) as caught:
        check_bucket_name(name)
    assert caught.value.code == "InvalidBucketName"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", ("", None)),
        ("/b", ("b", None)),
        ("/b/", ("b", None)),
        ("/b/../x", ("b", "../x")),
        ("/b/a//c/", ("b", "a//c/")),
        ("/b/%00nul", ("b", "\x00nul")),
        ("/b/%C3%A9%20%2B", ("b", "é +")),
        ("/b/a%2Fb", ("b", "a/b")),
    ],
)
def test_split_path_decodes_keys_exactly(path: str, expected: tuple[str, str | None]) -> None:
    assert split_path(path) == expected


def test_keys_over_1024_utf8_bytes_are_refused() -> None:
    split_path("/b/" + "%C3%A9" * 512)  # 1024 bytes: fine
    with pytest.raises(AwsError, match="1026 bytes") as caught:
        split_path("/b/" + "%C3%A9" * 513)
    assert caught.value.code == "KeyTooLongError"


def test_keys_that_are_not_utf8_are_refused() -> None:
    with pytest.raises(AwsError, match="not UTF-8") as caught:
        split_path("/b/%FF%FE")
    assert caught.value.code == "InvalidURI"
