"""The S3 service's SQLite schema (ordered migrations; never edit a released one).

Keys are BLOBs holding UTF-8, so `ORDER BY key` is S3's listing order (UTF-8 byte order)
and a prefix is the half-open range [prefix, prefix || 0xFF): no UTF-8 text has a 0xFF byte.
"""

from __future__ import annotations

MIGRATIONS = [
    """
    CREATE TABLE buckets (
        name TEXT PRIMARY KEY,
        region TEXT NOT NULL,
        created REAL NOT NULL
    );
    CREATE TABLE objects (
        bucket TEXT NOT NULL REFERENCES buckets(name),
        key BLOB NOT NULL,
        blob_id TEXT NOT NULL,
        size INTEGER NOT NULL,
        etag TEXT NOT NULL,
        last_modified REAL NOT NULL,
        headers TEXT NOT NULL,
        checksum_algorithm TEXT,
        checksum_value TEXT,
        checksum_type TEXT,
        part_sizes TEXT,
        PRIMARY KEY (bucket, key)
    ) WITHOUT ROWID;
    CREATE TABLE uploads (
        upload_id TEXT PRIMARY KEY,
        bucket TEXT NOT NULL REFERENCES buckets(name),
        key BLOB NOT NULL,
        initiated REAL NOT NULL,
        headers TEXT NOT NULL,
        checksum_algorithm TEXT,
        checksum_type TEXT
    );
    CREATE INDEX uploads_by_key ON uploads (bucket, key, upload_id);
    CREATE TABLE parts (
        upload_id TEXT NOT NULL REFERENCES uploads(upload_id) ON DELETE CASCADE,
        part_number INTEGER NOT NULL,
        blob_id TEXT NOT NULL,
        size INTEGER NOT NULL,
        etag TEXT NOT NULL,
        last_modified REAL NOT NULL,
        checksum_value TEXT,
        PRIMARY KEY (upload_id, part_number)
    ) WITHOUT ROWID
    """,
]
