"""Keys are arbitrary data: any valid Unicode up to 1,024 UTF-8 bytes round-trips exactly,
never becomes a path, and bad keys are refused without disturbing the server."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import RunningCloud
from tests.integration.cloud.s3_support import new_bucket, raw_s3

TRICKY = ["..", "../x", "a/../../etc/passwd", "/leading", "a//b", "./.", "%", "%00", "nul\x00key",
          "tab\tnew\nline\rcr", "é", "日本語/キー", "emoji 🎉", "plus+space %20", "?q=1#frag",
          "back\\slash", "~", "x" * 1024]  # fmt: skip


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


keys = st.one_of(
    st.sampled_from(TRICKY),
    st.text(min_size=1, max_size=300).filter(lambda k: _utf8_len(k) <= 1024),
    st.lists(st.sampled_from(["..", "/", "%", "\x00", "a", "é", "."]), min_size=1, max_size=40).map(
        "".join
    ),
)


@pytest.fixture(scope="module")
def bucket(s3) -> str:  # type: ignore[no-untyped-def]
    return new_bucket(s3)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=keys, body=st.binary(max_size=4096))
def test_any_key_and_body_round_trip(s3, bucket: str, key: str, body: bytes) -> None:  # type: ignore[no-untyped-def]
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
    assert listed["Contents"][0]["Key"] == key
    assert listed["Contents"][0]["Size"] == len(body)


@pytest.mark.parametrize("key", TRICKY)
def test_tricky_keys_are_plain_keys(s3, key: str) -> None:  # type: ignore[no-untyped-def]
    bucket = new_bucket(s3)
    s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == [key]
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode()
    s3.delete_object(Bucket=bucket, Key=key)
    s3.delete_bucket(Bucket=bucket)


def test_dot_dot_keys_do_not_alias(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_object(Bucket=bucket, Key="dir/../x", Body=b"dotted")
    s3.put_object(Bucket=bucket, Key="x", Body=b"plain")
    assert s3.get_object(Bucket=bucket, Key="dir/../x")["Body"].read() == b"dotted"
    assert s3.get_object(Bucket=bucket, Key="x")["Body"].read() == b"plain"


def test_keys_over_1024_bytes_are_refused(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError, match="KeyTooLongError"):
        s3.put_object(Bucket=bucket, Key="x" * 1025, Body=b"x")
    with pytest.raises(ClientError, match="KeyTooLongError"):
        s3.put_object(Bucket=bucket, Key="é" * 513, Body=b"x")  # 513 chars, 1026 bytes
    s3.put_object(Bucket=bucket, Key="é" * 512, Body=b"x")
    s3.head_bucket(Bucket=bucket)


def test_raw_bad_paths_get_errors_and_the_server_keeps_answering(
    cloud: RunningCloud,
    s3,
    bucket: str,  # type: ignore[no-untyped-def]
) -> None:
    not_utf8 = raw_s3(cloud, "PUT", f"/{bucket}/%FF%FE", b"x")
    assert not_utf8.status == 400 and b"InvalidURI" in not_utf8.body
    nul = raw_s3(cloud, "PUT", f"/{bucket}/a%00b", b"nul")
    assert nul.status == 200
    assert s3.get_object(Bucket=bucket, Key="a\x00b")["Body"].read() == b"nul"
    missing = raw_s3(cloud, "GET", f"/{bucket}/no%00such")
    assert missing.status == 404 and b"<Code>NoSuchKey</Code>" in missing.body
    s3.head_bucket(Bucket=bucket)
