"""Bucket operations through boto3, and operations this cloud refuses by name."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from tests.conftest import RunningCloud
from tests.integration.cloud.s3_support import new_bucket, raw_s3


def test_create_head_list_delete(s3) -> None:  # type: ignore[no-untyped-def]
    name = new_bucket(s3)
    head = s3.head_bucket(Bucket=name)
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"]
    listed = s3.list_buckets()
    assert name in [b["Name"] for b in listed["Buckets"]]
    assert len(listed["Owner"]["ID"]) == 64
    assert s3.delete_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError, match=r"\(404\)"):
        s3.head_bucket(Bucket=name)
    with pytest.raises(ClientError, match="NoSuchBucket"):
        s3.delete_bucket(Bucket=name)


def test_creating_an_owned_bucket_again(s3) -> None:  # type: ignore[no-untyped-def]
    name = new_bucket(s3)
    with pytest.raises(ClientError, match="BucketAlreadyOwnedByYou") as caught:
        s3.create_bucket(Bucket=name)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_location_constraint(s3) -> None:  # type: ignore[no-untyped-def]
    name = f"t-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-1"
    head = s3.head_bucket(Bucket=name)
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "eu-west-1"
    listed = s3.list_buckets(Prefix=name)["Buckets"]
    assert [(b["Name"], b["BucketRegion"]) for b in listed] == [(name, "eu-west-1")]


def test_us_east_1_is_an_empty_location(cloud: RunningCloud, s3) -> None:  # type: ignore[no-untyped-def]
    name = f"t-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "us-east-1"})
    assert s3.get_bucket_location(Bucket=name).get("LocationConstraint") is None


@pytest.mark.parametrize("name", ["ab", "Has-Upper", "under_score", "a..b", "10.0.0.1"])
def test_invalid_bucket_names(s3, name: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError, match="InvalidBucketName"):
        s3.create_bucket(Bucket=name)


def test_malformed_bucket_configuration(s3) -> None:  # type: ignore[no-untyped-def]
    name = f"t-{uuid.uuid4().hex[:16]}"
    with pytest.raises(ClientError, match="InvalidLocationConstraint"):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "mars"})
    with pytest.raises(ClientError, match="NoSuchBucket"):
        s3.list_objects_v2(Bucket=name)


def test_bucket_not_empty(s3) -> None:  # type: ignore[no-untyped-def]
    name = new_bucket(s3)
    s3.put_object(Bucket=name, Key="k", Body=b"x")
    with pytest.raises(ClientError, match="BucketNotEmpty") as caught:
        s3.delete_bucket(Bucket=name)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert s3.get_object(Bucket=name, Key="k")["Body"].read() == b"x"


def test_delete_bucket_aborts_its_unfinished_uploads(s3) -> None:  # type: ignore[no-untyped-def]
    name = new_bucket(s3)
    upload = s3.create_multipart_upload(Bucket=name, Key="k")
    s3.upload_part(Bucket=name, Key="k", UploadId=upload["UploadId"], PartNumber=1, Body=b"p")
    s3.delete_bucket(Bucket=name)
    s3.create_bucket(Bucket=name)
    assert s3.list_multipart_uploads(Bucket=name).get("Uploads", []) == []


def test_list_buckets_pages(s3) -> None:  # type: ignore[no-untyped-def]
    prefix = f"p{uuid.uuid4().hex[:8]}-"
    names = [f"{prefix}{i}" for i in range(3)]
    for name in names:
        s3.create_bucket(Bucket=name)
    first = s3.list_buckets(Prefix=prefix, MaxBuckets=2)
    assert [b["Name"] for b in first["Buckets"]] == names[:2]
    second = s3.list_buckets(
        Prefix=prefix, MaxBuckets=2, ContinuationToken=first["ContinuationToken"]
    )
    assert [b["Name"] for b in second["Buckets"]] == names[2:]
    assert "ContinuationToken" not in second


@pytest.mark.parametrize(
    ("call", "operation"),
    [
        (lambda s3, b: s3.put_bucket_policy(Bucket=b, Policy="{}"), "PutBucketPolicy"),
        (lambda s3, b: s3.get_bucket_versioning(Bucket=b), "GetBucketVersioning"),
        (lambda s3, b: s3.get_bucket_tagging(Bucket=b), "GetBucketTagging"),
        (lambda s3, b: s3.get_object_tagging(Bucket=b, Key="k"), "GetObjectTagging"),
        (lambda s3, b: s3.get_object_acl(Bucket=b, Key="k"), "GetObjectAcl"),
        (lambda s3, b: s3.list_object_versions(Bucket=b), "ListObjectVersions"),
        (
            lambda s3, b: s3.put_bucket_lifecycle_configuration(
                Bucket=b, LifecycleConfiguration={"Rules": []}
            ),
            "PutBucketLifecycleConfiguration",
        ),
    ],
)
def test_unimplemented_operations_are_named(s3, call, operation: str) -> None:  # type: ignore[no-untyped-def]
    name = new_bucket(s3)
    with pytest.raises(ClientError, match=f"does not implement s3.{operation}") as caught:
        call(s3, name)
    assert caught.value.response["Error"]["Code"] == "NotImplemented"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501


def test_list_buckets_filters_and_argument_errors(cloud: RunningCloud, s3) -> None:  # type: ignore[no-untyped-def]
    name = f"t-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "EU"})
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-1"
    in_region = s3.list_buckets(Prefix=name, BucketRegion="eu-west-1")["Buckets"]
    assert [b["Name"] for b in in_region] == [name]
    assert s3.list_buckets(Prefix=name, BucketRegion="ap-south-1")["Buckets"] == []
    response = raw_s3(cloud, "GET", "/?max-buckets=0")  # boto3 would not send it
    assert response.status == 400 and b"max-buckets must be an integer" in response.body


def test_unsupported_bucket_requests(cloud: RunningCloud, s3) -> None:  # type: ignore[no-untyped-def]
    name = f"t-{uuid.uuid4().hex[:16]}"
    with pytest.raises(ClientError, match=r"does not implement s3\.CreateBucket with object lock"):
        s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    with pytest.raises(ClientError, match="NoSuchBucket"):
        s3.get_bucket_location(Bucket=name)
    response = raw_s3(cloud, "PUT", "/")
    assert response.status == 501 and b"does not implement s3.PUT on a service" in response.body
    bucket = new_bucket(s3)
    response = raw_s3(cloud, "POST", f"/{bucket}", b"form")
    assert response.status == 501 and b"does not implement s3.POST on a bucket" in response.body


def test_virtual_host_addressing_on_localhost(cloud: RunningCloud, s3) -> None:  # type: ignore[no-untyped-def]
    bucket = new_bucket(s3)
    port = cloud.url.rsplit(":", 1)[1]
    host = {"Host": f"{bucket}.localhost:{port}"}
    put = raw_s3(cloud, "PUT", "/dir/key%20one", b"virtual", headers=host)
    assert put.status == 200, put.body
    assert s3.get_object(Bucket=bucket, Key="dir/key one")["Body"].read() == b"virtual"
    listed = raw_s3(cloud, "GET", "/?list-type=2", headers=host)
    assert b"<Key>dir/key one</Key>" in listed.body
