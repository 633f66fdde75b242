"""ListObjectsV2 and ListObjects through boto3 and its paginators."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.conftest import RunningCloud
from tests.integration.cloud.s3_support import new_bucket, raw_s3

KEYS = [
    "a.txt",
    "b/1",
    "b/2",
    "b/sub/3",
    "c+d e.txt",
    "d/",
    "z",
    "é/ü",
    "ü",
    "%2F-literal",
]


@pytest.fixture(scope="module")
def bucket(s3) -> str:  # type: ignore[no-untyped-def]
    name = new_bucket(s3)
    for key in KEYS:
        s3.put_object(Bucket=name, Key=key, Body=key.encode())
    return name


def _utf8_order(keys: list[str]) -> list[str]:
    return sorted(keys, key=lambda k: k.encode("utf-8"))


def test_v2_lists_everything_in_utf8_byte_order(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    reply = s3.list_objects_v2(Bucket=bucket)
    assert [o["Key"] for o in reply["Contents"]] == _utf8_order(KEYS)
    assert reply["KeyCount"] == len(KEYS)
    assert reply["IsTruncated"] is False
    first = reply["Contents"][0]
    assert first["Size"] == len(first["Key"].encode())
    assert first["StorageClass"] == "STANDARD"
    assert "Owner" not in first


def test_v2_delimiter_and_prefix(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    top = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["b/", "d/", "é/"]
    assert [o["Key"] for o in top["Contents"]] == _utf8_order(
        ["a.txt", "c+d e.txt", "z", "ü", "%2F-literal"]
    )
    nested = s3.list_objects_v2(Bucket=bucket, Prefix="b/", Delimiter="/")
    assert [o["Key"] for o in nested["Contents"]] == ["b/1", "b/2"]
    assert [p["Prefix"] for p in nested["CommonPrefixes"]] == ["b/sub/"]
    assert nested["Prefix"] == "b/"


def test_v2_paginator_with_small_pages(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    paginator = s3.get_paginator("list_objects_v2")
    pages = list(paginator.paginate(Bucket=bucket, PaginationConfig={"PageSize": 3}))
    assert len(pages) == 4
    keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
    assert keys == _utf8_order(KEYS)


def test_v2_paginator_with_delimiter(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    paginator = s3.get_paginator("list_objects_v2")
    entries = []
    for page in paginator.paginate(Bucket=bucket, Delimiter="/", PaginationConfig={"PageSize": 2}):
        entries += [o["Key"] for o in page.get("Contents", [])]
        entries += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
    assert sorted(entries) == sorted(
        ["a.txt", "c+d e.txt", "z", "ü", "%2F-literal", "b/", "d/", "é/"]
    )
    assert len(entries) == len(set(entries))


def test_v2_start_after_max_keys_and_fetch_owner(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    reply = s3.list_objects_v2(Bucket=bucket, StartAfter="b/2", MaxKeys=2, FetchOwner=True)
    assert [o["Key"] for o in reply["Contents"]] == ["b/sub/3", "c+d e.txt"]
    assert reply["IsTruncated"] is True
    assert reply["StartAfter"] == "b/2"
    assert len(reply["Contents"][0]["Owner"]["ID"]) == 64
    rest = s3.list_objects_v2(Bucket=bucket, ContinuationToken=reply["NextContinuationToken"])
    assert rest["Contents"][0]["Key"] == "d/"


def test_v2_max_keys_zero(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    reply = s3.list_objects_v2(Bucket=bucket, MaxKeys=0)
    assert reply["KeyCount"] == 0 and reply["IsTruncated"] is False


def test_v2_without_url_encoding(cloud: RunningCloud, bucket: str) -> None:
    response = raw_s3(cloud, "GET", f"/{bucket}?list-type=2&prefix=c")
    assert response.status == 200
    assert b"<Key>c+d e.txt</Key>" in response.body
    assert b"EncodingType" not in response.body


def test_v2_url_encoding_on_the_wire(cloud: RunningCloud, bucket: str) -> None:
    response = raw_s3(cloud, "GET", f"/{bucket}?list-type=2&encoding-type=url&prefix=c")
    assert b"<Key>c%2Bd%20e.txt</Key>" in response.body
    assert b"<EncodingType>url</EncodingType>" in response.body


def test_v1_marker_and_paginator(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    reply = s3.list_objects(Bucket=bucket, Marker="b/sub/3", MaxKeys=2)
    assert [o["Key"] for o in reply["Contents"]] == ["c+d e.txt", "d/"]
    assert reply["IsTruncated"] is True
    assert len(reply["Contents"][0]["Owner"]["ID"]) == 64
    paginator = s3.get_paginator("list_objects")
    keys = [
        o["Key"]
        for page in paginator.paginate(Bucket=bucket, PaginationConfig={"PageSize": 4})
        for o in page.get("Contents", [])
    ]
    assert keys == _utf8_order(KEYS)


def test_v1_delimiter_pages_with_next_marker(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    first = s3.list_objects(Bucket=bucket, Delimiter="/", MaxKeys=2)
    assert first["IsTruncated"] is True
    assert [o["Key"] for o in first["Contents"]] == ["%2F-literal", "a.txt"]
    assert first["NextMarker"] == "a.txt"
    second = s3.list_objects(Bucket=bucket, Delimiter="/", MaxKeys=2, Marker=first["NextMarker"])
    assert [p["Prefix"] for p in second["CommonPrefixes"]] == ["b/"]
    third = s3.list_objects(Bucket=bucket, Delimiter="/", Marker="b/")
    assert third["Contents"][0]["Key"] == "c+d e.txt"  # the b/ group is not listed again


def test_listing_errors(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError, match="NoSuchBucket"):
        s3.list_objects_v2(Bucket="no-such-bucket-here")
    with pytest.raises(ClientError, match="continuation token provided is incorrect"):
        s3.list_objects_v2(Bucket=bucket, ContinuationToken="garbage!")
    with pytest.raises(ClientError, match="max-keys"):
        s3.list_objects_v2(Bucket=bucket, MaxKeys=-1)


def test_invalid_encoding_type(cloud: RunningCloud, bucket: str) -> None:
    response = raw_s3(cloud, "GET", f"/{bucket}?list-type=2&encoding-type=base64")
    assert response.status == 400
    assert b"Invalid Encoding Method" in response.body
