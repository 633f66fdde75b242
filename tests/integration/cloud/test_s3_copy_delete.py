"""CopyObject and DeleteObjects through boto3."""

from __future__ import annotations

import base64
import hashlib
import os
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from tests.conftest import RunningCloud
from tests.integration.cloud.s3_support import new_bucket, raw_s3


@pytest.fixture
def bucket(s3) -> str:  # type: ignore[no-untyped-def]
    return new_bucket(s3)


def test_copy_keeps_bytes_and_metadata(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    body = os.urandom(2 * 1024 * 1024)
    s3.put_object(
        Bucket=bucket, Key="src é+x", Body=body, ContentType="text/csv", Metadata={"a": "1"}
    )
    other = new_bucket(s3)
    reply = s3.copy_object(Bucket=other, Key="dst", CopySource={"Bucket": bucket, "Key": "src é+x"})
    assert reply["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    got = s3.get_object(Bucket=other, Key="dst")
    assert got["Body"].read() == body
    assert got["ContentType"] == "text/csv"
    assert got["Metadata"] == {"a": "1"}


def test_copy_with_replaced_metadata(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ContentType="text/csv", Metadata={"a": "1"})
    s3.copy_object(
        Bucket=bucket,
        Key="k",
        CopySource=f"{bucket}/k",
        MetadataDirective="REPLACE",
        ContentType="application/json",
        Metadata={"b": "2"},
    )
    got = s3.head_object(Bucket=bucket, Key="k")
    assert got["ContentType"] == "application/json"
    assert got["Metadata"] == {"b": "2"}


def test_copy_onto_itself_without_changes_is_refused(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError, match="copy an object to itself"):
        s3.copy_object(Bucket=bucket, Key="k", CopySource={"Bucket": bucket, "Key": "k"})


def test_copy_errors(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError, match="NoSuchKey"):
        s3.copy_object(Bucket=bucket, Key="d", CopySource={"Bucket": bucket, "Key": "missing"})
    with pytest.raises(ClientError, match="NoSuchBucket"):
        s3.copy_object(
            Bucket=bucket, Key="d", CopySource={"Bucket": "no-such-bucket-x", "Key": "k"}
        )
    with pytest.raises(ClientError, match="NoSuchBucket"):
        s3.copy_object(
            Bucket="no-such-bucket-x", Key="d", CopySource={"Bucket": bucket, "Key": "k"}
        )
    with pytest.raises(ClientError, match="metadata directive"):
        s3.copy_object(Bucket=bucket, Key="d", CopySource=f"{bucket}/k", MetadataDirective="MOVE")
    with pytest.raises(ClientError, match="PreconditionFailed"):
        s3.copy_object(Bucket=bucket, Key="d", CopySource=f"{bucket}/k", CopySourceIfMatch='"0"')
    modified = s3.head_object(Bucket=bucket, Key="k")["LastModified"]
    with pytest.raises(ClientError, match="PreconditionFailed"):
        s3.copy_object(
            Bucket=bucket,
            Key="d",
            CopySource=f"{bucket}/k",
            CopySourceIfModifiedSince=modified + timedelta(hours=1),
        )


def test_copy_source_must_name_bucket_and_key(cloud: RunningCloud, bucket: str) -> None:
    response = raw_s3(cloud, "PUT", f"/{bucket}/d", headers={"x-amz-copy-source": bucket})
    assert response.status == 400
    assert b"must mention the source bucket and key" in response.body


def test_delete_objects(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    for key in ["a", "b", "c/../d"]:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    reply = s3.delete_objects(
        Bucket=bucket,
        Delete={"Objects": [{"Key": "a"}, {"Key": "c/../d"}, {"Key": "never-existed"}]},
    )
    assert sorted(d["Key"] for d in reply["Deleted"]) == ["a", "c/../d", "never-existed"]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["b"]
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "b"}], "Quiet": True})
    assert "Deleted" not in quiet
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_delete_objects_reports_bad_keys(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    reply = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "x" * 1025}, {"Key": "ok"}]}
    )
    assert [e["Code"] for e in reply["Errors"]] == ["KeyTooLongError"]
    assert [d["Key"] for d in reply["Deleted"]] == ["ok"]


@pytest.mark.parametrize(
    "body",
    [
        b"<Delete><Object><Key>a</Key></Object>",  # unclosed
        b"<Delete></Delete>",  # no objects
        b"<Delete><Object><VersionId>1</VersionId></Object></Delete>",  # no key
        b"<NotDelete/>",
        b"not xml at all",
    ],
)
def test_malformed_delete_documents(cloud: RunningCloud, s3, bucket: str, body: bytes) -> None:  # type: ignore[no-untyped-def]
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    response = raw_s3(cloud, "POST", f"/{bucket}?delete", body, {"Content-MD5": md5})
    assert response.status == 400
    assert b"<Code>MalformedXML</Code>" in response.body
    s3.head_bucket(Bucket=bucket)  # still answering


def test_delete_objects_needs_an_integrity_header(cloud: RunningCloud, bucket: str) -> None:
    body = b"<Delete><Object><Key>a</Key></Object></Delete>"
    response = raw_s3(cloud, "POST", f"/{bucket}?delete", body)
    assert response.status == 400
    assert b"Content-MD5" in response.body


def test_copy_onto_itself_changing_the_storage_class(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Metadata={"a": "1"})
    s3.copy_object(Bucket=bucket, Key="k", CopySource=f"{bucket}/k", StorageClass="GLACIER_IR")
    head = s3.head_object(Bucket=bucket, Key="k")
    assert head["StorageClass"] == "GLACIER_IR" and head["Metadata"] == {"a": "1"}


def test_copy_with_a_checksum_algorithm(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_object(Bucket=bucket, Key="k", Body=b"abc")
    reply = s3.copy_object(
        Bucket=bucket, Key="d", CopySource=f"{bucket}/k", ChecksumAlgorithm="SHA256"
    )
    expected = base64.b64encode(hashlib.sha256(b"abc").digest()).decode()
    assert reply["CopyObjectResult"]["ChecksumSHA256"] == expected


def test_copy_with_an_unknown_checksum_algorithm(cloud: RunningCloud, s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_object(Bucket=bucket, Key="k", Body=b"abc")
    headers = {"x-amz-copy-source": f"{bucket}/k", "x-amz-checksum-algorithm": "ADLER"}
    response = raw_s3(cloud, "PUT", f"/{bucket}/d", headers=headers)
    assert response.status == 400 and b"'ADLER' is not valid" in response.body


def test_delete_objects_with_version_ids(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    reply = s3.delete_objects(
        Bucket=bucket,
        Delete={"Objects": [{"Key": "k", "VersionId": "null"}, {"Key": "j", "VersionId": "v9"}]},
    )
    assert [d["Key"] for d in reply["Deleted"]] == ["k"]
    assert [(e["Key"], e["Code"]) for e in reply["Errors"]] == [("j", "NoSuchVersion")]


def test_oversized_delete_document(cloud: RunningCloud, bucket: str) -> None:
    body = b"<Delete>" + b"<Object><Key>k</Key></Object>" * 200_000 + b"</Delete>"
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    response = raw_s3(cloud, "POST", f"/{bucket}?delete", body, {"Content-MD5": md5})
    assert response.status == 400 and b"MaxMessageLengthExceeded" in response.body
    many = b"<Delete>" + b"<Object><Key>k</Key></Object>" * 1001 + b"</Delete>"
    md5 = base64.b64encode(hashlib.md5(many).digest()).decode()
    response = raw_s3(cloud, "POST", f"/{bucket}?delete", many, {"Content-MD5": md5})
    assert response.status == 400 and b"1 to 1000" in response.body
