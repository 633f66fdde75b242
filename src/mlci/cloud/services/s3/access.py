"""In-process access to the cloud's S3 objects, for services that read and write them directly.

Training jobs read their channels from S3 and write model artifacts back to it without going
through HTTP. They use the same store and blob files as the S3 service (a second connection to
home/"s3.db" is safe: every write is one `BEGIN IMMEDIATE` transaction), and the same rules:
a blob is written whole and fsync'd before the row that points at it commits, and a blob a row
no longer points at is deleted only after the commit.

Blobs are immutable (every write makes a new one), so a reader can hard-link an object's blob
instead of copying it: the link keeps the bytes of that version even if the object is then
overwritten or deleted.
"""

from __future__ import annotations

import errno
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from mlci.cloud.errors import AwsError
from mlci.cloud.http import Body
from mlci.cloud.services.s3.blobio import READ_SIZE, find_object, open_object
from mlci.cloud.services.s3.call import S3State
from mlci.cloud.services.s3.records import ObjectRecord
from mlci.cloud.services.s3.schema import MIGRATIONS
from mlci.cloud.services.s3.store import ObjectStore
from mlci.cloud.services.s3.uploads_store import UploadStore
from mlci.cloud.services.s3.walk import AFTER_ALL
from mlci.cloud.storage.blobs import BlobStore
from mlci.sqlite import Database

LIST_BATCH = 1000


class S3Access:
    def __init__(self, home: Path) -> None:
        self._db = Database(home / "s3.db", MIGRATIONS)
        self._state = S3State(
            ObjectStore(self._db), UploadStore(self._db), BlobStore(home / "blobs" / "s3")
        )
        self.objects = self._state.objects
        self.blobs = self._state.blobs

    def bucket_exists(self, bucket: str) -> bool:
        return self.objects.bucket(bucket) is not None

    def list_prefix(self, bucket: str, prefix: str) -> Iterator[ObjectRecord]:
        """Every object whose key starts with `prefix`, in key order (NoSuchBucket if the
        bucket does not exist)."""
        self.objects.require_bucket(bucket)
        lower, inclusive = prefix.encode("utf-8"), True
        upper = lower + AFTER_ALL
        while True:
            batch = self.objects.list_objects(bucket, lower, inclusive, upper, LIST_BATCH)
            yield from batch
            if len(batch) < LIST_BATCH:
                return
            lower, inclusive = batch[-1].key.encode("utf-8"), False

    def find(self, bucket: str, key: str) -> ObjectRecord:
        """The object's current version; NoSuchBucket / NoSuchKey as GetObject raises them."""
        return find_object(self._state, bucket, key)

    def read(self, bucket: str, key: str) -> bytes:
        """One object's bytes (for small objects such as manifests); NoSuchBucket/NoSuchKey."""
        record = find_object(self._state, bucket, key)
        handle, _ = open_object(self._state, bucket, record)
        with handle:
            return handle.read()

    def link(self, bucket: str, record: ObjectRecord, target: Path) -> ObjectRecord:
        """Make `target` (which must not exist) hold the object's bytes: a hard link to its
        blob, or a copy where links are impossible. Returns the version that was linked (a
        newer one if the object was overwritten since `record` was read)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        while True:
            try:
                os.link(self.blobs.path(record.blob_id), target)
                return record
            except FileNotFoundError:
                record = self._newer(bucket, record)
            except OSError as error:
                if error.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
                    raise
                handle, record = open_object(self._state, bucket, record)
                with handle, open(target, "wb") as out:
                    shutil.copyfileobj(handle, out, READ_SIZE)
                return record

    def put_file(
        self, bucket: str, key: str, source: Path, content_type: str | None = None
    ) -> ObjectRecord:
        """Store the file at `source` as object `key`, as one PutObject would: the new blob is
        durable before the row commits, so readers see the old object or the whole new one."""
        body = Body(self.blobs.tmp)
        try:
            with open(source, "rb") as src:
                while chunk := src.read(READ_SIZE):
                    body.write(chunk)
            size, md5_hex = body.size, body.md5_digest.hex()
            blob_id = self.blobs.put_body(body)
        finally:
            body.discard()
        headers = (("content-type", content_type),) if content_type else ()
        record = ObjectRecord(key, blob_id, size, md5_hex, time.time(), headers)
        self.blobs.commit(blob_id, lambda: self.objects.put_object(bucket, record))
        return record

    def delete(self, bucket: str, key: str) -> None:
        """Delete one object if it exists (a missing bucket or key is not an error here)."""
        try:
            blobs = self.objects.delete_objects(bucket, [key])
        except AwsError as error:
            if error.code != "NoSuchBucket":
                raise
            return
        for blob_id in blobs:
            self.blobs.delete(blob_id)

    def close(self) -> None:
        self._db.close()

    def _newer(self, bucket: str, record: ObjectRecord) -> ObjectRecord:
        # The blob went away: an overwrite or delete committed after `record` was read.
        newer = find_object(self._state, bucket, record.key)
        if newer.blob_id == record.blob_id:
            raise FileNotFoundError(f"stored object is missing its blob: {record.blob_id}")
        return newer
