"""The S3 stores on a real SQLite file and blob directory: overwrite races and stale
multipart completions, which clients cannot time precisely enough to test end to end."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from mlci.cloud.errors import AwsError
from mlci.cloud.services.s3 import create
from mlci.cloud.services.s3.blobio import open_object
from mlci.cloud.services.s3.call import S3State
from mlci.cloud.services.s3.records import Bucket, ObjectRecord, Part, Upload


@pytest.fixture
def state(tmp_path: Path) -> S3State:
    service = create(tmp_path)[0]
    service.state.objects.create_bucket(Bucket("b", "us-east-1", time.time()))
    return service.state


def _put(state: S3State, key: str, data: bytes) -> ObjectRecord:
    record = ObjectRecord(key, state.blobs.put_bytes(data), len(data), "e", time.time(), ())
    replaced = state.objects.put_object("b", record)
    if replaced:
        state.blobs.delete(replaced)
    return record


def test_a_reader_holding_a_replaced_row_reads_the_new_version(state: S3State) -> None:
    stale = _put(state, "k", b"old")
    _put(state, "k", b"new")  # commits, then removes the old blob
    handle, current = open_object(state, "b", stale)
    with handle:
        assert handle.read() == b"new"
    assert current.blob_id != stale.blob_id


def test_a_reader_of_a_deleted_object_gets_no_such_key(state: S3State) -> None:
    stale = _put(state, "k", b"old")
    state.discard_blobs(state.objects.delete_objects("b", ["k"]))
    with pytest.raises(AwsError, match="does not exist") as caught:
        open_object(state, "b", stale)
    assert caught.value.code == "NoSuchKey"


def test_a_committed_row_without_its_blob_is_an_error_not_an_empty_object(state: S3State) -> None:
    record = _put(state, "k", b"data")
    state.blobs.delete(record.blob_id)
    with pytest.raises(FileNotFoundError):
        open_object(state, "b", record)


def _upload(state: S3State) -> tuple[Upload, Part]:
    upload = Upload("0001", "b", "k", time.time(), (), None, None)
    state.uploads.create(upload)
    part = Part(1, state.blobs.put_bytes(b"p1"), 2, "e1", time.time(), None)
    state.uploads.put_part(upload.upload_id, part)
    return upload, part


def test_completion_refuses_a_part_replaced_while_it_assembled(state: S3State) -> None:
    upload, part = _upload(state)
    newer = Part(1, state.blobs.put_bytes(b"p1 again"), 8, "e2", time.time(), None)
    state.uploads.put_part(upload.upload_id, newer)
    record = ObjectRecord("k", state.blobs.put_bytes(b"p1"), 2, "x-1", time.time(), ())
    with pytest.raises(AwsError, match="uploaded again") as caught:
        state.uploads.complete(upload, record, {1: part.blob_id})
    assert caught.value.code == "InvalidPart"
    assert state.objects.get_object("b", "k") is None


def test_completion_of_an_aborted_upload_is_no_such_upload(state: S3State) -> None:
    upload, part = _upload(state)
    state.discard_blobs(state.uploads.abort(upload))
    record = ObjectRecord("k", state.blobs.put_bytes(b"p1"), 2, "x-1", time.time(), ())
    with pytest.raises(AwsError, match="does not exist") as caught:
        state.uploads.complete(upload, record, {1: part.blob_id})
    assert caught.value.code == "NoSuchUpload"
    with pytest.raises(AwsError, match="does not exist"):
        state.uploads.put_part(upload.upload_id, part)


def test_startup_sweep_keeps_referenced_blobs_only(tmp_path: Path) -> None:
    service = create(tmp_path)[0]
    state = service.state
    state.objects.create_bucket(Bucket("b", "us-east-1", time.time()))
    kept = _put(state, "k", b"kept")
    orphan = state.blobs.put_bytes(b"never committed")
    spooled = tmp_path / "blobs" / "tmp" / "upload-abc"  # the server's upload spool
    spooled.parent.mkdir(exist_ok=True)
    spooled.write_bytes(b"half an upload")
    service.close()
    create(tmp_path)
    assert state.blobs.path(kept.blob_id).exists()
    assert not state.blobs.path(orphan).exists()
    assert not spooled.exists()
