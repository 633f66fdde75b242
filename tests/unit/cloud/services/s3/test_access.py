"""The in-process S3 adapter other services use, over a real store in a temporary home."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from mlci.cloud.errors import AwsError
from mlci.cloud.services.s3.access import S3Access
from mlci.cloud.services.s3.records import Bucket


@pytest.fixture
def s3(tmp_path: Path) -> S3Access:
    access = S3Access(tmp_path)
    access.objects.create_bucket(Bucket("b", "us-east-1", 0.0))
    return access


def put(s3: S3Access, tmp_path: Path, key: str, data: bytes) -> None:
    source = tmp_path / "source"
    source.write_bytes(data)
    s3.put_file("b", key, source)


def test_a_file_becomes_an_object_with_its_md5_etag(s3: S3Access, tmp_path: Path) -> None:
    source = tmp_path / "model.tar.gz"
    source.write_bytes(b"x" * 3_000_000)  # large enough to be spooled through a file
    record = s3.put_file("b", "out/model.tar.gz", source, "application/x-tar")
    assert record.size == 3_000_000
    assert record.etag == hashlib.md5(b"x" * 3_000_000).hexdigest()
    assert record.headers == (("content-type", "application/x-tar"),)
    assert s3.read("b", "out/model.tar.gz") == b"x" * 3_000_000
    assert list(s3.blobs.tmp.iterdir()) == []


def test_overwriting_removes_the_old_blob(s3: S3Access, tmp_path: Path) -> None:
    put(s3, tmp_path, "k", b"one")
    first = s3.find("b", "k")
    put(s3, tmp_path, "k", b"two")
    assert not s3.blobs.path(first.blob_id).exists()
    assert s3.read("b", "k") == b"two"


def test_prefix_listing_is_in_key_order_across_batches(
    s3: S3Access, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mlci.cloud.services.s3.access.LIST_BATCH", 2)
    for key in ("p/c", "p/a", "q/x", "p/b/1", "p", "p/b/0"):
        put(s3, tmp_path, key, key.encode())
    assert [r.key for r in s3.list_prefix("b", "p/")] == ["p/a", "p/b/0", "p/b/1", "p/c"]
    assert [r.key for r in s3.list_prefix("b", "")] == ["p", "p/a", "p/b/0", "p/b/1", "p/c", "q/x"]


def test_a_link_keeps_the_version_it_linked(s3: S3Access, tmp_path: Path) -> None:
    put(s3, tmp_path, "k", b"old")
    record = s3.find("b", "k")
    target = tmp_path / "input" / "deep" / "k"
    assert s3.link("b", record, target) == record
    put(s3, tmp_path, "k", b"new")
    assert target.read_bytes() == b"old"


def test_a_link_to_an_overwritten_version_takes_the_newer_one(s3: S3Access, tmp_path: Path) -> None:
    put(s3, tmp_path, "k", b"old")
    stale = s3.find("b", "k")
    put(s3, tmp_path, "k", b"new")
    linked = s3.link("b", stale, tmp_path / "k")
    assert linked.blob_id != stale.blob_id
    assert (tmp_path / "k").read_bytes() == b"new"


def test_a_link_to_a_deleted_object_is_no_such_key(s3: S3Access, tmp_path: Path) -> None:
    put(s3, tmp_path, "k", b"x")
    record = s3.find("b", "k")
    s3.delete("b", "k")
    with pytest.raises(AwsError, match="The specified key does not exist") as caught:
        s3.link("b", record, tmp_path / "k")
    assert caught.value.code == "NoSuchKey"


def test_missing_buckets_and_keys_are_s3_errors(s3: S3Access, tmp_path: Path) -> None:
    with pytest.raises(AwsError, match="bucket does not exist"):
        list(s3.list_prefix("nope", ""))
    with pytest.raises(AwsError, match="bucket does not exist"):
        s3.put_file("nope", "k", tmp_path / "s3.db")
    with pytest.raises(AwsError, match="key does not exist"):
        s3.read("b", "missing")
    assert not s3.bucket_exists("nope") and s3.bucket_exists("b")
    s3.delete("nope", "k")  # deleting from a missing bucket is quietly nothing
    s3.delete("b", "missing")
    assert [p for p in s3.blobs.root.rglob("*") if p.is_file()] == []
