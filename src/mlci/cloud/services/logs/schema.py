"""The log store's SQLite schema, as ordered migrations (append new ones; never edit old ones).

Events are indexed by (stream, timestamp, seq) for GetLogEvents and by (group, timestamp, seq)
for FilterLogEvents' merge across a group's streams. seq is AUTOINCREMENT so a number is never
reused, even after the newest events are deleted with their stream.
"""

from __future__ import annotations

MIGRATIONS = [
    """
    CREATE TABLE log_groups (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_ms INTEGER NOT NULL,
        log_group_class TEXT NOT NULL,
        kms_key_id TEXT,
        tags TEXT NOT NULL
    );
    CREATE TABLE log_streams (
        id INTEGER PRIMARY KEY,
        group_id INTEGER NOT NULL REFERENCES log_groups (id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        first_event_ms INTEGER,
        last_event_ms INTEGER,
        last_ingestion_ms INTEGER,
        stored_bytes INTEGER NOT NULL DEFAULT 0,
        uploads INTEGER NOT NULL DEFAULT 0,
        UNIQUE (group_id, name)
    );
    CREATE TABLE log_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        stream_id INTEGER NOT NULL REFERENCES log_streams (id) ON DELETE CASCADE,
        group_id INTEGER NOT NULL,
        timestamp_ms INTEGER NOT NULL,
        ingestion_ms INTEGER NOT NULL,
        message TEXT NOT NULL
    );
    CREATE INDEX log_events_by_stream ON log_events (stream_id, timestamp_ms, seq);
    CREATE INDEX log_events_by_group ON log_events (group_id, timestamp_ms, seq)
    """,
]
