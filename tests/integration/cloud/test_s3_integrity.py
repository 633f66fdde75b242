"""Integrity of uploads: x-amz-content-sha256, aws-chunked bodies (as botocore streams them
with a trailing checksum, and with per-chunk signatures), and their failure modes."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import zlib
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import RunningCloud
from tests.integration.cloud.s3_support import new_bucket, raw_s3

SIGNED_STREAMING = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"


@pytest.fixture(scope="module")
def bucket(s3) -> str:  # type: ignore[no-untyped-def]
    return new_bucket(s3)


@pytest.fixture
def streaming_s3(cloud: RunningCloud):  # type: ignore[no-untyped-def]
    """A client that streams PutObject/UploadPart bodies aws-chunked with a trailing CRC32,
    as botocore does over https (it only uses trailers over TLS, so we ask it to)."""
    client = cloud.client("s3")

    def use_trailer(params: dict[str, Any], **_: Any) -> None:
        algorithm = params["context"].get("checksum", {}).get("request_algorithm")
        if algorithm:
            algorithm["in"] = "trailer"

    def record(request: Any, **_: Any) -> None:
        client.sent_encodings.append(request.headers.get("Content-Encoding"))

    client.meta.events.register("before-call.s3.PutObject", use_trailer)
    client.meta.events.register("before-call.s3.UploadPart", use_trailer)
    client.meta.events.register("before-send.s3.PutObject", record)
    client.sent_encodings = []
    return client


def _chunked(data: bytes, size: int, signature: bool) -> bytes:
    out = bytearray()
    for start in range(0, len(data), size):
        piece = data[start : start + size]
        ext = b";chunk-signature=" + b"0" * 64 if signature else b""
        out += b"%x%s\r\n%s\r\n" % (len(piece), ext, piece)
    out += b"0" + (b";chunk-signature=" + b"0" * 64 if signature else b"") + b"\r\n"
    return bytes(out)


@pytest.mark.parametrize("size", [0, 10, 3 * 1024 * 1024])
def test_botocore_aws_chunked_uploads(streaming_s3, bucket: str, size: int) -> None:  # type: ignore[no-untyped-def]
    body = os.urandom(size)
    reply = streaming_s3.put_object(Bucket=bucket, Key=f"chunked-{size}", Body=io.BytesIO(body))
    assert streaming_s3.sent_encodings == [b"aws-chunked"]
    crc = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
    assert reply["ChecksumCRC32"] == crc
    assert reply["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    got = streaming_s3.get_object(Bucket=bucket, Key=f"chunked-{size}", ChecksumMode="ENABLED")
    assert got["Body"].read() == body
    assert got["ChecksumCRC32"] == crc


def test_aws_chunked_content_encoding_is_not_stored(streaming_s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    streaming_s3.put_object(Bucket=bucket, Key="gz", Body=io.BytesIO(b"x"), ContentEncoding="gzip")
    assert streaming_s3.head_object(Bucket=bucket, Key="gz")["ContentEncoding"] == "gzip"
    streaming_s3.put_object(Bucket=bucket, Key="plain", Body=io.BytesIO(b"x"))
    assert "ContentEncoding" not in streaming_s3.head_object(Bucket=bucket, Key="plain")


def test_signed_chunk_framing_decodes(cloud: RunningCloud, s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    data = os.urandom(70_000)
    headers = {
        "Content-Encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(len(data)),
    }
    wire = _chunked(data, 65_536, signature=True) + b"\r\n"
    response = raw_s3(cloud, "PUT", f"/{bucket}/signed", wire, headers, SIGNED_STREAMING)
    assert response.status == 200, response.body
    assert response.headers["etag"] == f'"{hashlib.md5(data).hexdigest()}"'
    assert s3.get_object(Bucket=bucket, Key="signed")["Body"].read() == data


def test_trailer_checksum_mismatch_is_bad_digest(cloud: RunningCloud, s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    wrong = base64.b64encode(zlib.crc32(b"other").to_bytes(4, "big"))
    wire = _chunked(b"payload", 4, signature=False) + b"x-amz-checksum-crc32:" + wrong + b"\r\n\r\n"
    headers = {"Content-Encoding": "aws-chunked", "x-amz-trailer": "x-amz-checksum-crc32"}
    response = raw_s3(cloud, "PUT", f"/{bucket}/bad-trailer", wire, headers, UNSIGNED_TRAILER)
    assert response.status == 400 and b"<Code>BadDigest</Code>" in response.body
    with pytest.raises(ClientError, match="NoSuchKey"):
        s3.get_object(Bucket=bucket, Key="bad-trailer")


@pytest.mark.parametrize(
    ("wire", "headers", "code"),
    [
        (b"5\r\nhel", {}, b"IncompleteBody"),
        (b"zz\r\n", {}, b"InvalidRequest"),
        (
            _chunked(b"abc", 3, False) + b"\r\n",
            {"x-amz-decoded-content-length": "4"},
            b"IncompleteBody",
        ),
    ],
)
def test_malformed_aws_chunked_bodies(
    cloud: RunningCloud, s3, bucket: str, wire: bytes, headers: dict[str, str], code: bytes
) -> None:  # type: ignore[no-untyped-def]
    headers = {"Content-Encoding": "aws-chunked", **headers}
    response = raw_s3(cloud, "PUT", f"/{bucket}/malformed", wire, headers, UNSIGNED_TRAILER)
    assert response.status == 400
    assert b"<Code>" + code + b"</Code>" in response.body
    s3.head_bucket(Bucket=bucket)


def test_content_sha256_must_match_the_body(cloud: RunningCloud, s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    claimed = hashlib.sha256(b"something else").hexdigest()
    response = raw_s3(cloud, "PUT", f"/{bucket}/sha", b"body", content_sha256=claimed)
    assert response.status == 400
    assert b"<Code>XAmzContentSHA256Mismatch</Code>" in response.body
    assert claimed.encode() in response.body
    response = raw_s3(cloud, "PUT", f"/{bucket}/sha", b"body", content_sha256="not-a-hash")
    assert response.status == 400 and b"<Code>InvalidArgument</Code>" in response.body
    unsigned = raw_s3(cloud, "PUT", f"/{bucket}/sha", b"body", content_sha256="UNSIGNED-PAYLOAD")
    assert unsigned.status == 200
    assert s3.get_object(Bucket=bucket, Key="sha")["Body"].read() == b"body"


def test_more_than_one_checksum_header_is_refused(cloud: RunningCloud, bucket: str) -> None:
    body = b"data"
    headers = {
        "x-amz-checksum-crc32": base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode(),
        "x-amz-checksum-sha1": base64.b64encode(hashlib.sha1(body).digest()).decode(),
    }
    response = raw_s3(cloud, "PUT", f"/{bucket}/two", body, headers)
    assert response.status == 400
    assert b"Expecting a single x-amz-checksum- header" in response.body


def test_botocore_aws_chunked_multipart_upload(streaming_s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    from boto3.s3.transfer import TransferConfig

    body = os.urandom(7 * 1024 * 1024)
    config = TransferConfig(
        multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024
    )
    streaming_s3.upload_fileobj(io.BytesIO(body), bucket, "streamed-multipart", Config=config)
    got = streaming_s3.get_object(Bucket=bucket, Key="streamed-multipart", ChecksumMode="ENABLED")
    assert got["Body"].read() == body
    assert got["ETag"].endswith('-2"')
    assert got["ChecksumCRC32"].endswith("-2")
