"""Named migrations: each runs once, new ones run on the next start, failures leave nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mlci.cloud.services.sagemaker.schema import Migration, apply
from mlci.sqlite import Database

FIRST = Migration("a-1", "CREATE TABLE a (x INTEGER); CREATE INDEX a_x ON a (x)")
SECOND = Migration("b-1", "CREATE TABLE b (y TEXT)")


def tables(db: Database) -> set[str]:
    return {r[0] for r in db.query("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_each_migration_runs_once_and_later_ones_are_added(tmp_path: Path) -> None:
    db = Database(tmp_path / "s.db", [])
    apply(db, [FIRST])
    apply(db, [FIRST])  # a restart: nothing re-runs (CREATE TABLE would fail)
    apply(db, [FIRST, SECOND])
    assert {"a", "b"} <= tables(db)
    assert [r[0] for r in db.query("SELECT name FROM sagemaker_migrations ORDER BY name")] == [
        "a-1",
        "b-1",
    ]


def test_a_failing_migration_applies_nothing(tmp_path: Path) -> None:
    db = Database(tmp_path / "s.db", [])
    broken = Migration("c-1", "CREATE TABLE c (z INTEGER); CREATE TABLE c (z INTEGER)")
    with pytest.raises(sqlite3.OperationalError, match="already exists"):
        apply(db, [FIRST, broken])
    assert "a" not in tables(db) and "c" not in tables(db)
