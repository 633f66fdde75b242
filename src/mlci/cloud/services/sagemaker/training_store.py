"""The training_jobs table: each job's DescribeTrainingJob record, next to the columns that
ListTrainingJobs filters and sorts on (name, creation time, status, last modification).

Every change to a job is one write transaction that reads the record, changes it and writes it
back with its columns, so the columns can never disagree with the record.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from mlci.cloud.services.sagemaker import records
from mlci.cloud.services.sagemaker.clock import Clock
from mlci.cloud.services.sagemaker.records import Record
from mlci.cloud.services.sagemaker.schema import Migration
from mlci.sqlite import Database

TABLE = "training_jobs"

MIGRATIONS = (
    Migration(
        "training-jobs-1",
        f"""
        CREATE TABLE {TABLE} (
            id INTEGER PRIMARY KEY,
            region TEXT NOT NULL,
            name_key TEXT NOT NULL,
            name TEXT NOT NULL,
            creation_time REAL NOT NULL,
            last_modified_time REAL NOT NULL,
            status TEXT NOT NULL,
            record TEXT NOT NULL,
            UNIQUE (region, name_key)
        );
        CREATE INDEX training_jobs_by_time ON {TABLE} (region, creation_time, id);
        CREATE INDEX training_jobs_by_name ON {TABLE} (region, name, id);
        CREATE INDEX training_jobs_by_status ON {TABLE} (region, status, id);
        CREATE INDEX training_jobs_active ON {TABLE} (status)
        """,
    ),
)

Change = Callable[[Record, float], Record]  # (record, now) -> the changed record


def find(conn: sqlite3.Connection, region: str, name: str) -> sqlite3.Row | None:
    return records.find_named(conn, TABLE, region, name)


def insert(conn: sqlite3.Connection, region: str, record: Record) -> None:
    name = record["TrainingJobName"]
    conn.execute(
        f"INSERT INTO {TABLE} (region, name_key, name, creation_time, last_modified_time, "
        "status, record) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            region,
            name.lower(),
            name,
            record["CreationTime"],
            record["LastModifiedTime"],
            record["TrainingJobStatus"],
            records.dump(record),
        ),
    )


def write(conn: sqlite3.Connection, row_id: int, record: Record) -> None:
    conn.execute(
        f"UPDATE {TABLE} SET status = ?, last_modified_time = ?, record = ? WHERE id = ?",
        (record["TrainingJobStatus"], record["LastModifiedTime"], records.dump(record), row_id),
    )


def update(db: Database, clock: Clock, region: str, name: str, change: Change) -> Record:
    """Apply `change` to a job's record in one transaction (the clock read inside it)."""
    with db.write() as conn:
        row = find(conn, region, name)
        if row is None:
            raise LookupError(f"training job {name} is not in the table")
        record = change(records.load(row["record"]), clock.now())
        write(conn, row["id"], record)
    return record


def in_statuses(conn: sqlite3.Connection, statuses: tuple[str, ...]) -> list[sqlite3.Row]:
    marks = ", ".join("?" for _ in statuses)
    return conn.execute(
        f"SELECT id, record FROM {TABLE} WHERE status IN ({marks})", statuses
    ).fetchall()
