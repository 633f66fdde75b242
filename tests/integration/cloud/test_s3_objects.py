"""PutObject, GetObject, HeadObject, DeleteObject through boto3: bodies, metadata, ranges,
conditional requests and integrity checks."""

from __future__ import annotations

import base64
import hashlib
import os
import urllib.request
import zlib
from datetime import timedelta

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import RunningCloud
from tests.integration.cloud.s3_support import new_bucket


@pytest.fixture
def bucket(s3) -> str:  # type: ignore[no-untyped-def]
    return new_bucket(s3)


@pytest.mark.parametrize("size", [0, 1, 1024, 1024 * 1024 + 1, 3 * 1024 * 1024])
def test_put_then_get_returns_the_same_bytes(s3, bucket: str, size: int) -> None:  # type: ignore[no-untyped-def]
    body = os.urandom(size)
    put = s3.put_object(Bucket=bucket, Key="obj", Body=body)
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    got = s3.get_object(Bucket=bucket, Key="obj")
    assert got["Body"].read() == body
    assert got["ContentLength"] == size
    assert got["ETag"] == put["ETag"]
    assert got["ContentType"] == "binary/octet-stream"


def test_metadata_is_stored_and_returned(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_object(
        Bucket=bucket,
        Key="doc.txt",
        Body=b"hello",
        ContentType="text/plain; charset=utf-8",
        ContentEncoding="identity",
        ContentDisposition='attachment; filename="doc.txt"',
        CacheControl="max-age=60",
        ContentLanguage="en",
        Expires="Wed, 21 Oct 2037 07:28:00 GMT",
        Metadata={"commit": "abc123", "Model-Name": "abalone"},
    )
    for reply in (
        s3.head_object(Bucket=bucket, Key="doc.txt"),
        s3.get_object(Bucket=bucket, Key="doc.txt"),
    ):
        assert reply["ContentType"] == "text/plain; charset=utf-8"
        assert reply["ContentEncoding"] == "identity"
        assert reply["ContentDisposition"] == 'attachment; filename="doc.txt"'
        assert reply["CacheControl"] == "max-age=60"
        assert reply["ContentLanguage"] == "en"
        assert reply["ExpiresString"] == "Wed, 21 Oct 2037 07:28:00 GMT"
        assert reply["Metadata"] == {"commit": "abc123", "model-name": "abalone"}
        assert reply["ContentLength"] == 5
        assert reply["AcceptRanges"] == "bytes"


def test_get_response_overrides(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ContentType="text/plain")
    got = s3.get_object(
        Bucket=bucket, Key="k", ResponseContentType="application/json", ResponseCacheControl="no"
    )
    assert got["ContentType"] == "application/json"
    assert got["CacheControl"] == "no"


def test_overwrite_replaces_bytes_and_metadata(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_object(Bucket=bucket, Key="k", Body=b"first", Metadata={"v": "1"})
    s3.put_object(Bucket=bucket, Key="k", Body=b"second!")
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == b"second!"
    assert got["Metadata"] == {}


def test_head_object_has_no_body_and_last_modified(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_object(Bucket=bucket, Key="k", Body=b"12345")
    head = s3.head_object(Bucket=bucket, Key="k")
    assert head["ContentLength"] == 5
    assert head["LastModified"].tzinfo is not None


def test_missing_key_and_bucket(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError, match="NoSuchKey") as caught:
        s3.get_object(Bucket=bucket, Key="nope/../x")
    assert caught.value.response["Error"]["Key"] == "nope/../x"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ClientError, match="NoSuchBucket"):
        s3.get_object(Bucket="no-such-bucket-here", Key="k")
    with pytest.raises(ClientError, match="NoSuchBucket"):
        s3.put_object(Bucket="no-such-bucket-here", Key="k", Body=b"x")
    with pytest.raises(ClientError, match=r"\(404\).*Not Found"):
        s3.head_object(Bucket=bucket, Key="nope")


def test_delete_object_is_idempotent(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert s3.delete_object(Bucket=bucket, Key="k")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.delete_object(Bucket=bucket, Key="k")["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError, match="NoSuchKey"):
        s3.get_object(Bucket=bucket, Key="k")
    with pytest.raises(ClientError, match="NoSuchBucket"):
        s3.delete_object(Bucket="no-such-bucket-here", Key="k")


@pytest.mark.parametrize(
    ("header", "expected", "content_range"),
    [
        ("bytes=0-9", slice(0, 10), "bytes 0-9/100"),
        ("bytes=90-", slice(90, 100), "bytes 90-99/100"),
        ("bytes=-5", slice(95, 100), "bytes 95-99/100"),
        ("bytes=50-1000", slice(50, 100), "bytes 50-99/100"),
    ],
)
def test_ranges(s3, bucket: str, header: str, expected: slice, content_range: str) -> None:  # type: ignore[no-untyped-def]
    body = os.urandom(100)
    s3.put_object(Bucket=bucket, Key="k", Body=body)
    got = s3.get_object(Bucket=bucket, Key="k", Range=header)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["ContentRange"] == content_range
    assert got["Body"].read() == body[expected]


def test_range_on_a_large_object_streams_the_slice(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    body = os.urandom(3 * 1024 * 1024)
    s3.put_object(Bucket=bucket, Key="k", Body=body)
    got = s3.get_object(Bucket=bucket, Key="k", Range="bytes=1000-2500000")
    assert got["Body"].read() == body[1000:2500001]


def test_unsatisfiable_range_is_416(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_object(Bucket=bucket, Key="k", Body=b"short")
    with pytest.raises(ClientError, match="InvalidRange") as caught:
        s3.get_object(Bucket=bucket, Key="k", Range="bytes=5-")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 416
    assert caught.value.response["Error"]["ActualObjectSize"] == "5"


def test_conditional_get_and_head(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    etag = s3.put_object(Bucket=bucket, Key="k", Body=b"abc")["ETag"]
    modified = s3.head_object(Bucket=bucket, Key="k")["LastModified"]
    assert s3.get_object(Bucket=bucket, Key="k", IfMatch=etag)["Body"].read() == b"abc"
    with pytest.raises(ClientError, match="304"):
        s3.get_object(Bucket=bucket, Key="k", IfNoneMatch=etag)
    with pytest.raises(ClientError, match="304"):
        s3.head_object(Bucket=bucket, Key="k", IfModifiedSince=modified + timedelta(seconds=1))
    with pytest.raises(ClientError, match="PreconditionFailed"):
        s3.get_object(Bucket=bucket, Key="k", IfMatch='"0000"')
    with pytest.raises(ClientError, match="PreconditionFailed"):
        s3.get_object(Bucket=bucket, Key="k", IfUnmodifiedSince=modified - timedelta(hours=1))
    with pytest.raises(ClientError, match="412"):
        s3.head_object(Bucket=bucket, Key="k", IfMatch='"0000"')
    got = s3.get_object(Bucket=bucket, Key="k", IfModifiedSince=modified - timedelta(hours=1))
    assert got["Body"].read() == b"abc"


def test_conditional_put(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    etag = s3.put_object(Bucket=bucket, Key="k", Body=b"one", IfNoneMatch="*")["ETag"]
    with pytest.raises(ClientError, match="PreconditionFailed"):
        s3.put_object(Bucket=bucket, Key="k", Body=b"two", IfNoneMatch="*")
    with pytest.raises(ClientError, match="PreconditionFailed"):
        s3.put_object(Bucket=bucket, Key="k", Body=b"two", IfMatch='"0000"')
    s3.put_object(Bucket=bucket, Key="k", Body=b"three", IfMatch=etag)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"three"
    with pytest.raises(ClientError, match="NoSuchKey"):
        s3.put_object(Bucket=bucket, Key="absent", Body=b"x", IfMatch=etag)


def test_content_md5_is_checked(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    good = base64.b64encode(hashlib.md5(b"data").digest()).decode()
    s3.put_object(Bucket=bucket, Key="k", Body=b"data", ContentMD5=good)
    with pytest.raises(ClientError, match="BadDigest"):
        s3.put_object(Bucket=bucket, Key="bad", Body=b"other", ContentMD5=good)
    with pytest.raises(ClientError, match="InvalidDigest"):
        s3.put_object(Bucket=bucket, Key="bad", Body=b"other", ContentMD5="not-md5")
    with pytest.raises(ClientError, match="NoSuchKey"):
        s3.get_object(Bucket=bucket, Key="bad")


def test_flexible_checksums_are_verified_stored_and_returned(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    body = b"checksummed bytes"
    crc = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
    put = s3.put_object(Bucket=bucket, Key="k", Body=body)  # botocore adds CRC32 by default
    assert put["ChecksumCRC32"] == crc
    got = s3.get_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert got["ChecksumCRC32"] == crc
    assert got["ChecksumType"] == "FULL_OBJECT"
    assert got["Body"].read() == body  # botocore validates the body against it
    sha = base64.b64encode(hashlib.sha256(body).digest()).decode()
    put = s3.put_object(Bucket=bucket, Key="s", Body=body, ChecksumSHA256=sha)
    assert s3.head_object(Bucket=bucket, Key="s", ChecksumMode="ENABLED")["ChecksumSHA256"] == sha
    wrong = base64.b64encode(zlib.crc32(b"other").to_bytes(4, "big")).decode()
    with pytest.raises(ClientError, match="BadDigest"):
        s3.put_object(Bucket=bucket, Key="w", Body=body, ChecksumCRC32=wrong)
    with pytest.raises(ClientError, match="header is invalid"):
        s3.put_object(Bucket=bucket, Key="w", Body=body, ChecksumCRC32="!!notbase64")
    with pytest.raises(ClientError, match="NoSuchKey"):
        s3.get_object(Bucket=bucket, Key="w")


def test_checksum_is_not_sent_for_a_range(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_object(Bucket=bucket, Key="k", Body=b"0123456789")
    got = s3.get_object(Bucket=bucket, Key="k", Range="bytes=0-3", ChecksumMode="ENABLED")
    assert "ChecksumCRC32" not in got
    assert got["Body"].read() == b"0123"


def test_presigned_get_url(cloud: RunningCloud, s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_object(Bucket=bucket, Key="a b/c+d", Body=b"presigned")
    # boto3 presigns with SigV2 unless told otherwise; the cloud accepts SigV4 only.
    signer = boto3.client(
        "s3",
        endpoint_url=cloud.url,
        aws_access_key_id=cloud.access_key,
        aws_secret_access_key=cloud.secret_key,
        region_name=cloud.region,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    url = signer.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "a b/c+d"})
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"presigned"


def test_unsupported_object_features_are_refused(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError, match=r"does not implement s3.PutObject with object tagging"):
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="a=b")
    with pytest.raises(ClientError, match=r"does not implement s3.PutObject with server-side"):
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms")
    with pytest.raises(ClientError, match="InvalidArgument"):
        s3.get_object(Bucket=bucket, Key="k", VersionId="v123")


def test_user_metadata_is_limited_to_2_kb(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError, match="MetadataTooLarge"):
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", Metadata={"big": "v" * 2100})


def test_storage_class_and_sse_are_kept(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_object(
        Bucket=bucket, Key="k", Body=b"x", StorageClass="STANDARD_IA", ServerSideEncryption="AES256"
    )
    head = s3.head_object(Bucket=bucket, Key="k")
    assert head["StorageClass"] == "STANDARD_IA"
    assert head["ServerSideEncryption"] == "AES256"
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert listed[0]["StorageClass"] == "STANDARD_IA"


def test_part_number_reads(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_object(Bucket=bucket, Key="k", Body=b"single part")
    whole = s3.get_object(Bucket=bucket, Key="k", PartNumber=1)
    assert whole["Body"].read() == b"single part"
    with pytest.raises(ClientError, match="InvalidPartNumber") as caught:
        s3.get_object(Bucket=bucket, Key="k", PartNumber=2)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 416
    with pytest.raises(ClientError, match="Cannot specify both Range header and partNumber"):
        s3.get_object(Bucket=bucket, Key="k", PartNumber=1, Range="bytes=0-1")


def test_checksums_this_cloud_cannot_compute_are_stored_unverified(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    value = base64.b64encode(b"\x01\x02\x03\x04").decode()  # CRC32C needs native code here
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ChecksumCRC32C=value)
    assert s3.head_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")["ChecksumCRC32C"] == value
