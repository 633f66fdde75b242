"""Multipart uploads through boto3: the low-level calls, their errors, and managed transfers."""

from __future__ import annotations

import base64
import hashlib
import os
import zlib
from pathlib import Path

import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import RunningCloud
from tests.integration.cloud.s3_support import new_bucket, raw_s3

MIB = 1024 * 1024


@pytest.fixture
def bucket(s3) -> str:  # type: ignore[no-untyped-def]
    return new_bucket(s3)


def _crc32(data: bytes) -> bytes:
    return zlib.crc32(data).to_bytes(4, "big")


def test_three_parts_assemble_in_order(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    parts = [os.urandom(5 * MIB), os.urandom(5 * MIB), b"tail"]
    upload = s3.create_multipart_upload(
        Bucket=bucket, Key="big", ContentType="application/x-tar", Metadata={"m": "1"}
    )
    upload_id = upload["UploadId"]
    etags = []
    for number, data in zip((1, 2, 3), parts, strict=True):
        reply = s3.upload_part(
            Bucket=bucket, Key="big", UploadId=upload_id, PartNumber=number, Body=data
        )
        assert reply["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
        etags.append(reply["ETag"])
    listed = s3.list_parts(Bucket=bucket, Key="big", UploadId=upload_id)
    assert [(p["PartNumber"], p["Size"]) for p in listed["Parts"]] == [
        (1, 5 * MIB),
        (2, 5 * MIB),
        (3, 4),
    ]
    done = s3.complete_multipart_upload(
        Bucket=bucket,
        Key="big",
        UploadId=upload_id,
        MultipartUpload={
            "Parts": [{"PartNumber": n, "ETag": e} for n, e in zip((1, 2, 3), etags, strict=True)]
        },
    )
    digests = b"".join(hashlib.md5(p).digest() for p in parts)
    assert done["ETag"] == f'"{hashlib.md5(digests).hexdigest()}-3"'
    got = s3.get_object(Bucket=bucket, Key="big")
    assert got["Body"].read() == b"".join(parts)
    assert got["ContentType"] == "application/x-tar"
    assert got["Metadata"] == {"m": "1"}
    assert got["ETag"] == done["ETag"]
    second = s3.get_object(Bucket=bucket, Key="big", PartNumber=2)
    assert second["PartsCount"] == 3
    assert second["Body"].read() == parts[1]
    with pytest.raises(ClientError, match="NoSuchUpload"):
        s3.list_parts(Bucket=bucket, Key="big", UploadId=upload_id)


def test_composite_crc32_checksum(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    parts = [os.urandom(5 * MIB), b"end"]
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k", ChecksumAlgorithm="CRC32")[
        "UploadId"
    ]
    completed = []
    for number, data in enumerate(parts, start=1):
        reply = s3.upload_part(
            Bucket=bucket,
            Key="k",
            UploadId=upload_id,
            PartNumber=number,
            Body=data,
            ChecksumAlgorithm="CRC32",
        )
        assert reply["ChecksumCRC32"] == base64.b64encode(_crc32(data)).decode()
        completed.append(
            {"PartNumber": number, "ETag": reply["ETag"], "ChecksumCRC32": reply["ChecksumCRC32"]}
        )
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": completed}
    )
    expected = base64.b64encode(_crc32(b"".join(_crc32(p) for p in parts))).decode() + "-2"
    assert done["ChecksumCRC32"] == expected
    assert done["ChecksumType"] == "COMPOSITE"
    got = s3.get_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert got["ChecksumCRC32"] == expected
    assert got["Body"].read() == b"".join(parts)


def test_completion_errors(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    small = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"tiny")
    last = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=2, Body=b"last")

    def complete(parts: list[dict[str, object]]) -> None:
        s3.complete_multipart_upload(
            Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": parts}
        )

    one = {"PartNumber": 1, "ETag": small["ETag"]}
    two = {"PartNumber": 2, "ETag": last["ETag"]}
    with pytest.raises(ClientError, match="EntityTooSmall"):
        complete([one, two])
    with pytest.raises(ClientError, match="InvalidPartOrder"):
        complete([two, one])
    with pytest.raises(ClientError, match="InvalidPart"):
        complete([{"PartNumber": 1, "ETag": '"00000000000000000000000000000000"'}])
    with pytest.raises(ClientError, match="InvalidPart"):
        complete([{"PartNumber": 7, "ETag": small["ETag"]}])
    with pytest.raises(ClientError, match="MalformedXML"):
        complete([])
    complete([one])  # a single (last) part may be small
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"tiny"


def test_abort_and_unknown_uploads(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"x")
    aborted = s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id)
    assert aborted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError, match="NoSuchUpload"):
        s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id)
    with pytest.raises(ClientError, match="NoSuchUpload"):
        s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"x")
    other = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    with pytest.raises(ClientError, match="NoSuchUpload"):  # an upload belongs to its key
        s3.upload_part(Bucket=bucket, Key="other", UploadId=other, PartNumber=1, Body=b"x")
    with pytest.raises(ClientError, match="Part number must be an integer"):
        s3.upload_part(Bucket=bucket, Key="k", UploadId=other, PartNumber=10001, Body=b"x")
    with pytest.raises(ClientError, match="NoSuchBucket"):
        s3.create_multipart_upload(Bucket="no-such-bucket-here", Key="k")


def test_reuploading_a_part_replaces_it(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"old")
    new = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"new")
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="k",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": new["ETag"]}]},
    )
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"new"


def test_list_parts_pages(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    for number in range(1, 6):
        s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=number, Body=b"p")
    paginator = s3.get_paginator("list_parts")
    pages = list(
        paginator.paginate(
            Bucket=bucket, Key="k", UploadId=upload_id, PaginationConfig={"PageSize": 2}
        )
    )
    assert [[p["PartNumber"] for p in page["Parts"]] for page in pages] == [[1, 2], [3, 4], [5]]


def test_list_multipart_uploads(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    ids = {}
    for key in ["a/1", "a/2", "b", "b", "c"]:
        ids.setdefault(key, []).append(
            s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        )
    listed = s3.list_multipart_uploads(Bucket=bucket)
    assert [u["Key"] for u in listed["Uploads"]] == ["a/1", "a/2", "b", "b", "c"]
    assert [u["UploadId"] for u in listed["Uploads"] if u["Key"] == "b"] == ids["b"]
    grouped = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in grouped["CommonPrefixes"]] == ["a/"]
    assert [u["Key"] for u in grouped["Uploads"]] == ["b", "b", "c"]
    paginator = s3.get_paginator("list_multipart_uploads")
    pages = list(paginator.paginate(Bucket=bucket, PaginationConfig={"PageSize": 2}))
    seen = [(u["Key"], u["UploadId"]) for page in pages for u in page.get("Uploads", [])]
    assert seen == [(u["Key"], u["UploadId"]) for u in listed["Uploads"]]


def test_managed_upload_and_download_of_a_multipart_file(
    s3,
    bucket: str,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    source = tmp_path / "model.tar.gz"
    source.write_bytes(os.urandom(17 * MIB + 123))
    config = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
    s3.upload_file(str(source), bucket, "models/model.tar.gz", Config=config)
    head = s3.head_object(Bucket=bucket, Key="models/model.tar.gz")
    assert head["ETag"].endswith('-4"')
    target = tmp_path / "downloaded"
    s3.download_file(bucket, "models/model.tar.gz", str(target), Config=config)
    assert target.read_bytes() == source.read_bytes()


def test_managed_copy_uses_part_copies(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    body = os.urandom(11 * MIB)
    s3.put_object(Bucket=bucket, Key="src", Body=body)
    config = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
    s3.copy({"Bucket": bucket, "Key": "src"}, bucket, "dst", Config=config)
    copied = s3.get_object(Bucket=bucket, Key="dst")
    assert copied["ETag"].endswith('-3"')
    assert copied["Body"].read() == body


def test_upload_part_copy_range_errors(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_object(Bucket=bucket, Key="src", Body=b"0123456789")
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="dst")["UploadId"]
    part = s3.upload_part_copy(
        Bucket=bucket,
        Key="dst",
        UploadId=upload_id,
        PartNumber=1,
        CopySource={"Bucket": bucket, "Key": "src"},
        CopySourceRange="bytes=2-5",
    )
    assert part["CopyPartResult"]["ETag"] == f'"{hashlib.md5(b"2345").hexdigest()}"'
    with pytest.raises(ClientError, match="not valid for source object of size: 10"):
        s3.upload_part_copy(
            Bucket=bucket,
            Key="dst",
            UploadId=upload_id,
            PartNumber=2,
            CopySource={"Bucket": bucket, "Key": "src"},
            CopySourceRange="bytes=5-10",
        )
    with pytest.raises(ClientError, match="NoSuchKey"):
        s3.upload_part_copy(
            Bucket=bucket,
            Key="dst",
            UploadId=upload_id,
            PartNumber=2,
            CopySource={"Bucket": bucket, "Key": "missing"},
        )


def test_full_object_crc32_checksum(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    parts = [os.urandom(5 * MIB), b"end"]
    whole = base64.b64encode(_crc32(b"".join(parts))).decode()
    for claimed, ok in ((base64.b64encode(_crc32(b"wrong")).decode(), False), (whole, True)):
        upload_id = s3.create_multipart_upload(
            Bucket=bucket, Key="k", ChecksumAlgorithm="CRC32", ChecksumType="FULL_OBJECT"
        )["UploadId"]
        completed = []
        for number, data in enumerate(parts, start=1):
            reply = s3.upload_part(
                Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=number, Body=data,
                ChecksumAlgorithm="CRC32",
            )  # fmt: skip
            completed.append({"PartNumber": number, "ETag": reply["ETag"]})

        def complete(
            upload_id: str = upload_id, completed: list = completed, claimed: str = claimed
        ):  # type: ignore[no-untyped-def, type-arg]
            return s3.complete_multipart_upload(
                Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": completed},
                ChecksumCRC32=claimed, ChecksumType="FULL_OBJECT",
            )  # fmt: skip

        if not ok:
            with pytest.raises(ClientError, match="BadDigest"):
                complete()
            continue
        done = complete()
        assert done["ChecksumCRC32"] == whole and done["ChecksumType"] == "FULL_OBJECT"
    got = s3.get_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert got["ChecksumCRC32"] == whole
    assert got["Body"].read() == b"".join(parts)  # botocore verifies the full-object CRC


def test_part_checksums_are_computed_when_the_client_sends_none(
    cloud: RunningCloud, bucket: str
) -> None:
    quiet = boto3.client(
        "s3",
        endpoint_url=cloud.url,
        aws_access_key_id=cloud.access_key,
        aws_secret_access_key=cloud.secret_key,
        region_name=cloud.region,
        config=Config(
            s3={"addressing_style": "path"}, request_checksum_calculation="when_required"
        ),
    )
    upload_id = quiet.create_multipart_upload(Bucket=bucket, Key="k", ChecksumAlgorithm="SHA256")[
        "UploadId"
    ]
    reply = quiet.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"p")
    assert reply["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(b"p").digest()).decode()


def test_checksum_settings_are_validated(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError, match="cannot be used with the SHA256 algorithm"):
        s3.create_multipart_upload(
            Bucket=bucket, Key="k", ChecksumAlgorithm="SHA256", ChecksumType="FULL_OBJECT"
        )
    with pytest.raises(ClientError, match="needs x-amz-checksum-algorithm"):
        s3.create_multipart_upload(Bucket=bucket, Key="k", ChecksumType="COMPOSITE")
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k", ChecksumAlgorithm="SHA1")[
        "UploadId"
    ]
    with pytest.raises(ClientError, match="Checksum Type mismatch"):
        s3.upload_part(
            Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"x",
            ChecksumAlgorithm="CRC32",
        )  # fmt: skip
    part = s3.upload_part(
        Bucket=bucket,
        Key="k",
        UploadId=upload_id,
        PartNumber=1,
        Body=b"x",
        ChecksumAlgorithm="SHA1",
    )
    wrong = {"PartNumber": 1, "ETag": part["ETag"], "ChecksumSHA1": "A" * 27 + "="}
    with pytest.raises(ClientError, match="InvalidPart"):
        s3.complete_multipart_upload(
            Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": [wrong]}
        )


def test_invalid_checksum_algorithm_and_page_size(cloud: RunningCloud, s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    response = raw_s3(
        cloud, "POST", f"/{bucket}/k?uploads", headers={"x-amz-checksum-algorithm": "ADLER"}
    )
    assert response.status == 400 and b"'ADLER' is not valid" in response.body
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    response = raw_s3(cloud, "GET", f"/{bucket}/k?uploadId={upload_id}&max-parts=x")
    assert response.status == 400 and b"max-parts must be an integer" in response.body


@pytest.mark.parametrize(
    "body",
    [
        b"<CompleteMultipartUpload><Part>",
        b"<CompleteMultipartUpload><Part><ETag>x</ETag></Part></CompleteMultipartUpload>",
        b"<Other/>",
    ],
)
def test_malformed_completion_documents(cloud: RunningCloud, s3, bucket: str, body: bytes) -> None:  # type: ignore[no-untyped-def]
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    response = raw_s3(cloud, "POST", f"/{bucket}/k?uploadId={upload_id}", body)
    assert response.status == 400 and b"<Code>MalformedXML</Code>" in response.body
    assert s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)["UploadId"] == upload_id


def test_composite_checksum_of_an_algorithm_not_computable_here(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k", ChecksumAlgorithm="CRC32C")[
        "UploadId"
    ]
    part = s3.upload_part(
        Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"x",
        ChecksumCRC32C="AAAAAA==",
    )  # fmt: skip
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="k", UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )  # fmt: skip
    assert "ChecksumCRC32C" not in done  # unknown rather than wrong
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"
