"""Moving payloads into the blob store and reading stored objects back."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from mlci.cloud.errors import AwsError
from mlci.cloud.http import MEMORY_BODY_LIMIT, Body, FileSlice
from mlci.cloud.services.s3 import integrity
from mlci.cloud.services.s3.call import Call, S3State
from mlci.cloud.services.s3.integrity import Checksum
from mlci.cloud.services.s3.records import ObjectRecord
from mlci.cloud.services.s3.xmlio import is_xml_safe

READ_SIZE = 1024 * 1024


@dataclass(frozen=True)
class StoredBody:
    blob_id: str
    size: int
    md5_hex: str
    checksum: Checksum | None  # what the client sent, verified when computable


def store_payload(s3: S3State, call: Call) -> StoredBody:
    """Write the request's payload as a durable blob (no DB row yet) and verify its checksum."""
    body = call.payload.body
    size, md5_hex = body.size, body.md5_digest.hex()
    blob_id = s3.blobs.put_body(body)
    claim = call.payload.checksum
    if claim is not None:
        try:
            integrity.verify(claim, _stored_bytes(body, s3.blobs.path(blob_id)))
        except AwsError:
            s3.blobs.delete(blob_id)
            raise
    return StoredBody(blob_id, size, md5_hex, claim)


def copy_to_body(
    s3: S3State, handle: BinaryIO, algorithm: str | None, start: int = 0, length: int = -1
) -> tuple[Body, Checksum | None]:
    """A stored object's bytes (or a range) as a new body: MD5-hashed for the ETag, and
    hashed with `algorithm` too when given. Closes `handle`."""
    running = integrity.new_hash(algorithm) if algorithm else None
    body = Body(s3.blobs.tmp)
    try:
        with handle as source:
            source.seek(start)
            left = length
            while left != 0:
                chunk = source.read(READ_SIZE if left < 0 else min(READ_SIZE, left))
                if not chunk:
                    break
                left = left - len(chunk) if left > 0 else left
                body.write(chunk)
                if running is not None:
                    running.update(chunk)
    except BaseException:
        body.discard()
        raise
    if algorithm is None or running is None:
        return body, None
    return body, Checksum(algorithm, base64.b64encode(running.digest()).decode())


def file_chunks(path: Path, start: int = 0, length: int | None = None) -> Iterator[bytes]:
    with open(path, "rb") as source:
        source.seek(start)
        left = length
        while left is None or left > 0:
            chunk = source.read(READ_SIZE if left is None else min(READ_SIZE, left))
            if not chunk:
                return
            if left is not None:
                left -= len(chunk)
            yield chunk


def no_such_key(key: str) -> AwsError:
    message = "The specified key does not exist."
    if not is_xml_safe(key):  # a key XML 1.0 cannot carry would make the error unreadable
        return AwsError("NoSuchKey", message)
    return AwsError("NoSuchKey", message, Key=key)


def find_object(s3: S3State, bucket: str, key: str) -> ObjectRecord:
    record = s3.objects.get_object(bucket, key)
    if record is None:
        s3.objects.require_bucket(bucket)
        raise no_such_key(key)
    return record


def open_object(s3: S3State, bucket: str, record: ObjectRecord) -> tuple[BinaryIO, ObjectRecord]:
    """Open the object's blob. An overwrite may have committed and removed the blob since the
    row was read; then the row is read again, so a reader always gets one whole version."""
    while True:
        try:
            return open(s3.blobs.path(record.blob_id), "rb"), record
        except FileNotFoundError:
            newer = s3.objects.get_object(bucket, record.key)
            if newer is None:
                raise no_such_key(record.key) from None
            if newer.blob_id == record.blob_id:
                raise  # the committed row points at a missing file: report it, never hide it
            record = newer


@dataclass(frozen=True)
class OpenFileSlice(FileSlice):
    """A FileSlice over a file opened by the handler: the bytes stay readable if an overwrite
    unlinks the blob while the response is being sent."""

    handle: BinaryIO | None = None

    def chunks(self) -> Iterator[bytes]:
        if self.handle is None:
            yield from super().chunks()
            return
        with self.handle as source:
            source.seek(self.start)
            left = self.length
            while left > 0:
                data = source.read(min(self.chunk_size, left))
                if not data:
                    raise OSError(f"stored object is shorter than recorded: {self.path.name}")
                left -= len(data)
                yield data


def _stored_bytes(body: Body, path: Path) -> Iterable[bytes]:
    # An in-memory body still holds its bytes after persist_to; a spooled one was moved.
    if body.size <= MEMORY_BODY_LIMIT:
        return [body.read()]
    return file_chunks(path)
