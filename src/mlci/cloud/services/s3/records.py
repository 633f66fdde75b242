"""The values the S3 store hands out: buckets, objects, uploads and parts."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from mlci.cloud.services.s3.integrity import Checksum

Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Bucket:
    name: str
    region: str
    created: float


@dataclass(frozen=True)
class ObjectRecord:
    key: str
    blob_id: str
    size: int
    etag: str  # unquoted md5 hex, or "<hex>-<parts>" for a multipart object
    last_modified: float
    headers: Headers  # stored metadata (see metadata.STORED_HEADERS and x-amz-meta-*)
    checksum: Checksum | None = None
    part_sizes: tuple[int, ...] | None = None  # multipart objects only

    @property
    def quoted_etag(self) -> str:
        return f'"{self.etag}"'


@dataclass(frozen=True)
class Upload:
    upload_id: str
    bucket: str
    key: str
    initiated: float
    headers: Headers
    checksum_algorithm: str | None
    checksum_type: str | None


@dataclass(frozen=True)
class Part:
    number: int
    blob_id: str
    size: int
    etag: str  # unquoted md5 hex
    last_modified: float
    checksum_value: str | None


OBJECT_COLUMNS = (
    "key, blob_id, size, etag, last_modified, headers, "
    "checksum_algorithm, checksum_value, checksum_type, part_sizes"
)
UPLOAD_COLUMNS = "upload_id, bucket, key, initiated, headers, checksum_algorithm, checksum_type"
PART_COLUMNS = "part_number, blob_id, size, etag, last_modified, checksum_value"


def object_from_row(row: sqlite3.Row) -> ObjectRecord:
    checksum = None
    if row[6] is not None:
        checksum = Checksum(row[6], row[7], row[8])
    return ObjectRecord(
        key=bytes(row[0]).decode("utf-8"),
        blob_id=row[1],
        size=row[2],
        etag=row[3],
        last_modified=row[4],
        headers=headers_from_json(row[5]),
        checksum=checksum,
        part_sizes=tuple(json.loads(row[9])) if row[9] is not None else None,
    )


def object_values(bucket: str, record: ObjectRecord) -> tuple[object, ...]:
    checksum = record.checksum
    return (
        bucket,
        record.key.encode("utf-8"),
        record.blob_id,
        record.size,
        record.etag,
        record.last_modified,
        json.dumps(record.headers),
        checksum.algorithm if checksum else None,
        checksum.value if checksum else None,
        checksum.type if checksum else None,
        json.dumps(record.part_sizes) if record.part_sizes is not None else None,
    )


def upload_from_row(row: sqlite3.Row) -> Upload:
    return Upload(
        upload_id=row[0],
        bucket=row[1],
        key=bytes(row[2]).decode("utf-8"),
        initiated=row[3],
        headers=headers_from_json(row[4]),
        checksum_algorithm=row[5],
        checksum_type=row[6],
    )


def part_from_row(row: sqlite3.Row) -> Part:
    return Part(row[0], row[1], row[2], row[3], row[4], row[5])


def headers_from_json(text: str) -> Headers:
    return tuple((str(name), str(value)) for name, value in json.loads(text))
