"""SQL for multipart uploads and their parts."""

from __future__ import annotations

import json
from collections.abc import Mapping

from mlci.cloud.errors import AwsError
from mlci.cloud.services.s3.records import (
    PART_COLUMNS,
    UPLOAD_COLUMNS,
    ObjectRecord,
    Part,
    Upload,
    part_from_row,
    upload_from_row,
)
from mlci.cloud.services.s3.store import replace_object, require_bucket
from mlci.sqlite import Database


def no_such_upload(upload_id: str) -> AwsError:
    return AwsError(
        "NoSuchUpload",
        "The specified multipart upload does not exist. The upload ID may be invalid, "
        "or the upload may have been aborted or completed.",
        UploadId=upload_id[:128],
    )


class UploadStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, upload: Upload) -> None:
        with self.db.write() as conn:
            require_bucket(conn, upload.bucket)
            conn.execute(
                f"INSERT INTO uploads ({UPLOAD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    upload.upload_id,
                    upload.bucket,
                    upload.key.encode("utf-8"),
                    upload.initiated,
                    json.dumps(upload.headers),
                    upload.checksum_algorithm,
                    upload.checksum_type,
                ),
            )

    def get(self, bucket: str, key: str, upload_id: str) -> Upload:
        """The upload, which must belong to this bucket and key; NoSuchUpload otherwise."""
        row = self.db.query_one(
            f"SELECT {UPLOAD_COLUMNS} FROM uploads WHERE upload_id = ? AND bucket = ? AND key = ?",
            (upload_id, bucket, key.encode("utf-8")),
        )
        if row is None:
            if self.db.query_one("SELECT 1 FROM buckets WHERE name = ?", (bucket,)) is None:
                raise AwsError(
                    "NoSuchBucket", "The specified bucket does not exist", BucketName=bucket
                )
            raise no_such_upload(upload_id)
        return upload_from_row(row)

    def put_part(self, upload_id: str, part: Part) -> str | None:
        """Record a part (its blob already written); returns the blob of a replaced part."""
        with self.db.write() as conn:
            if conn.execute("SELECT 1 FROM uploads WHERE upload_id = ?", (upload_id,)).fetchone():
                old = conn.execute(
                    "SELECT blob_id FROM parts WHERE upload_id = ? AND part_number = ?",
                    (upload_id, part.number),
                ).fetchone()
                conn.execute(
                    f"INSERT OR REPLACE INTO parts (upload_id, {PART_COLUMNS})"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (upload_id, part.number, part.blob_id, part.size, part.etag,
                     part.last_modified, part.checksum_value),
                )  # fmt: skip
                return str(old[0]) if old is not None else None
        raise no_such_upload(upload_id)

    def parts(self, upload_id: str, after: int = 0, limit: int = 10_000) -> list[Part]:
        rows = self.db.query(
            f"SELECT {PART_COLUMNS} FROM parts WHERE upload_id = ? AND part_number > ?"
            " ORDER BY part_number LIMIT ?",
            (upload_id, after, limit),
        )
        return [part_from_row(row) for row in rows]

    def complete(self, upload: Upload, record: ObjectRecord, used: Mapping[int, str]) -> list[str]:
        """Commit the assembled object and forget the upload. `used` maps each part number
        to the blob the assembly read; if any changed meanwhile, nothing is committed.
        Returns the blobs no row points at any more (all parts', the replaced object's)."""
        with self.db.write() as conn:
            if not conn.execute(
                "SELECT 1 FROM uploads WHERE upload_id = ?", (upload.upload_id,)
            ).fetchone():
                raise no_such_upload(upload.upload_id)
            current = dict(
                conn.execute(
                    "SELECT part_number, blob_id FROM parts WHERE upload_id = ?",
                    (upload.upload_id,),
                ).fetchall()
            )
            for number, blob_id in used.items():
                if current.get(number) != blob_id:
                    raise AwsError(
                        "InvalidPart",
                        f"Part {number} was uploaded again while the upload was completing",
                        PartNumber=str(number),
                    )
            require_bucket(conn, upload.bucket)
            replaced = replace_object(conn, upload.bucket, record)
            conn.execute("DELETE FROM uploads WHERE upload_id = ?", (upload.upload_id,))
        return [*current.values(), *([replaced] if replaced else [])]

    def abort(self, upload: Upload) -> list[str]:
        with self.db.write() as conn:
            rows = conn.execute(
                "DELETE FROM parts WHERE upload_id = ? RETURNING blob_id", (upload.upload_id,)
            ).fetchall()
            deleted = conn.execute(
                "DELETE FROM uploads WHERE upload_id = ? RETURNING upload_id", (upload.upload_id,)
            ).fetchone()
            if deleted is None:
                raise no_such_upload(upload.upload_id)
        return [str(row[0]) for row in rows]

    def list_uploads(
        self, bucket: str, lower: bytes, upload_id_after: str, upper: bytes, limit: int
    ) -> list[Upload]:
        """Uploads with key in [lower, upper) ordered by key, then by upload id (ids begin with
        the initiation time, so that is initiation order); for the key equal to `lower`, only
        those after `upload_id_after` (a page boundary)."""
        rows = self.db.query(
            f"SELECT {UPLOAD_COLUMNS} FROM uploads WHERE bucket = ? AND key >= ? AND key < ?"
            " AND NOT (key = ? AND upload_id <= ?) ORDER BY key, upload_id LIMIT ?",
            (bucket, lower, upper, lower, upload_id_after, limit),
        )
        return [upload_from_row(row) for row in rows]
