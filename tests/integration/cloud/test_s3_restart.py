"""Restarting the cloud: objects, metadata and unfinished uploads survive; what a crash can
leave behind (uncommitted blobs, temp files) is swept at startup."""

from __future__ import annotations

import hashlib
import os
import signal
from pathlib import Path

import pytest

from tests.conftest import start_cloud

MIB = 1024 * 1024


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_objects_survive_a_restart(tmp_path: Path, how: int) -> None:
    home = tmp_path / "home"
    first = start_cloud(home)
    try:
        s3 = first.client("s3")
        s3.create_bucket(Bucket="durable")
        small, large = b"small object", os.urandom(3 * MIB)
        s3.put_object(Bucket="durable", Key="small", Body=small, Metadata={"commit": "abc"})
        s3.put_object(Bucket="durable", Key="large", Body=large)
        s3.put_object(Bucket="durable", Key="replaced", Body=b"old")
        s3.put_object(Bucket="durable", Key="replaced", Body=b"new")
        upload_id = s3.create_multipart_upload(Bucket="durable", Key="pending")["UploadId"]
        part = s3.upload_part(
            Bucket="durable", Key="pending", UploadId=upload_id, PartNumber=1, Body=b"part one"
        )
    finally:
        first.stop(how)

    shard = home / "blobs" / "s3" / "ab"
    shard.mkdir(exist_ok=True)
    orphan = shard / ("ab" + "0" * 30)  # a blob whose row never committed
    orphan.write_bytes(b"orphan")
    leftover = home / "blobs" / "s3" / "tmp" / "chunked-leftover"
    leftover.write_bytes(b"partial")

    second = start_cloud(home)
    try:
        s3 = second.client("s3")
        got = s3.get_object(Bucket="durable", Key="small")
        assert got["Body"].read() == small and got["Metadata"] == {"commit": "abc"}
        got = s3.get_object(Bucket="durable", Key="large")
        assert hashlib.md5(got["Body"].read()).digest() == hashlib.md5(large).digest()
        assert s3.get_object(Bucket="durable", Key="replaced")["Body"].read() == b"new"
        s3.complete_multipart_upload(
            Bucket="durable",
            Key="pending",
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
        )
        assert s3.get_object(Bucket="durable", Key="pending")["Body"].read() == b"part one"
        assert not orphan.exists() and not leftover.exists()
        blobs = [p for p in (home / "blobs" / "s3").rglob("*") if p.is_file()]
        assert len(blobs) == 4  # small, large, replaced (new) and pending: nothing else
    finally:
        second.stop()
