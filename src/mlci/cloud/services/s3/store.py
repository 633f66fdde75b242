"""SQL for buckets and objects. Every write is one transaction; blob files are the caller's.

The caller writes an object's blob before `put_object` commits the row that points at it, and
deletes the blob a row no longer points at only after the commit (the ids are returned).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

from mlci.cloud.errors import AwsError
from mlci.cloud.services.s3.records import (
    OBJECT_COLUMNS,
    Bucket,
    ObjectRecord,
    object_from_row,
    object_values,
)
from mlci.sqlite import Database

Precondition = Callable[[ObjectRecord | None], None]

_SELECT_OBJECT = f"SELECT {OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND key = ?"
_INSERT_OBJECT = (
    f"INSERT OR REPLACE INTO objects (bucket, {OBJECT_COLUMNS}) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def no_such_bucket(name: str) -> AwsError:
    return AwsError("NoSuchBucket", "The specified bucket does not exist", BucketName=name)


def require_bucket(conn: sqlite3.Connection, name: str) -> None:
    if conn.execute("SELECT 1 FROM buckets WHERE name = ?", (name,)).fetchone() is None:
        raise no_such_bucket(name)


def replace_object(conn: sqlite3.Connection, bucket: str, record: ObjectRecord) -> str | None:
    """Insert or overwrite a row; returns the blob id the old row pointed at, if any."""
    old = conn.execute(
        "SELECT blob_id FROM objects WHERE bucket = ? AND key = ?",
        (bucket, record.key.encode("utf-8")),
    ).fetchone()
    conn.execute(_INSERT_OBJECT, object_values(bucket, record))
    return str(old[0]) if old is not None and old[0] != record.blob_id else None


class ObjectStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- buckets ---------------------------------------------------------------------------

    def create_bucket(self, bucket: Bucket) -> None:
        with self.db.write() as conn:
            if conn.execute("SELECT 1 FROM buckets WHERE name = ?", (bucket.name,)).fetchone():
                raise AwsError(
                    "BucketAlreadyOwnedByYou",
                    "Your previous request to create the named bucket succeeded and you "
                    "already own it.",
                    BucketName=bucket.name,
                )
            conn.execute(
                "INSERT INTO buckets (name, region, created) VALUES (?, ?, ?)",
                (bucket.name, bucket.region, bucket.created),
            )

    def bucket(self, name: str) -> Bucket | None:
        row = self.db.query_one("SELECT name, region, created FROM buckets WHERE name = ?", (name,))
        return Bucket(row[0], row[1], row[2]) if row is not None else None

    def require_bucket(self, name: str) -> Bucket:
        found = self.bucket(name)
        if found is None:
            raise no_such_bucket(name)
        return found

    def buckets(self, prefix: str, after: str, limit: int) -> list[Bucket]:
        rows = self.db.query(
            "SELECT name, region, created FROM buckets WHERE name > ? AND substr(name, 1, ?) = ?"
            " ORDER BY name LIMIT ?",
            (after, len(prefix), prefix, limit),
        )
        return [Bucket(row[0], row[1], row[2]) for row in rows]

    def delete_bucket(self, name: str) -> list[str]:
        """Delete an empty bucket and its unfinished uploads; returns their parts' blob ids."""
        with self.db.write() as conn:
            require_bucket(conn, name)
            if conn.execute("SELECT 1 FROM objects WHERE bucket = ? LIMIT 1", (name,)).fetchone():
                raise AwsError(
                    "BucketNotEmpty", "The bucket you tried to delete is not empty", BucketName=name
                )
            blobs = [
                str(row[0])
                for row in conn.execute(
                    "SELECT p.blob_id FROM parts p JOIN uploads u USING (upload_id)"
                    " WHERE u.bucket = ?",
                    (name,),
                )
            ]
            conn.execute("DELETE FROM uploads WHERE bucket = ?", (name,))
            conn.execute("DELETE FROM buckets WHERE name = ?", (name,))
        return blobs

    # --- objects ---------------------------------------------------------------------------

    def get_object(self, bucket: str, key: str) -> ObjectRecord | None:
        row = self.db.query_one(_SELECT_OBJECT, (bucket, key.encode("utf-8")))
        return object_from_row(row) if row is not None else None

    def put_object(
        self, bucket: str, record: ObjectRecord, precondition: Precondition | None = None
    ) -> str | None:
        """Commit `record` (its blob already written); returns the replaced blob id, if any."""
        with self.db.write() as conn:
            require_bucket(conn, bucket)
            if precondition is not None:
                row = conn.execute(_SELECT_OBJECT, (bucket, record.key.encode("utf-8"))).fetchone()
                precondition(object_from_row(row) if row is not None else None)
            return replace_object(conn, bucket, record)

    def delete_objects(self, bucket: str, keys: Sequence[str]) -> list[str]:
        """Delete the keys that exist (deleting a missing key succeeds, as in S3)."""
        blobs: list[str] = []
        with self.db.write() as conn:
            require_bucket(conn, bucket)
            for key in keys:
                row = conn.execute(
                    "DELETE FROM objects WHERE bucket = ? AND key = ? RETURNING blob_id",
                    (bucket, key.encode("utf-8")),
                ).fetchone()
                if row is not None:
                    blobs.append(str(row[0]))
        return blobs

    def list_objects(
        self, bucket: str, lower: bytes, inclusive: bool, upper: bytes, limit: int
    ) -> list[ObjectRecord]:
        """Objects with lower < key (<= if inclusive) and key < upper, in key order."""
        op = ">=" if inclusive else ">"
        rows = self.db.query(
            f"SELECT {OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND key {op} ? AND key < ?"
            " ORDER BY key LIMIT ?",
            (bucket, lower, upper, limit),
        )
        return [object_from_row(row) for row in rows]

    def referenced_blobs(self) -> set[str]:
        rows = self.db.query("SELECT blob_id FROM objects UNION SELECT blob_id FROM parts")
        return {str(row[0]) for row in rows}
