"""The dashboard's own SQLite file, `.mlci/ui.db`: the audit log and the deployments seen.

Beside the pipeline state (git-ignored with it) rather than in the cloud's home: the cloud's
state directory belongs to the cloud, and the dashboard is only its client. synchronous=FULL,
unlike the pipeline state: an audit record that a power cut could lose is not a record.
"""

from __future__ import annotations

from pathlib import Path

from mlci.pipeline.state import STATE_DIR
from mlci.sqlite import Database

DB_FILE = "ui.db"

MIGRATIONS = [
    """
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at REAL NOT NULL,
        who TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        outcome TEXT NOT NULL,
        detail TEXT NOT NULL,
        client TEXT NOT NULL
    );
    CREATE INDEX audit_by_target ON audit(target, id);
    CREATE TABLE deployments (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        endpoint TEXT NOT NULL,
        config_name TEXT NOT NULL,
        first_seen REAL NOT NULL,
        snapshot TEXT NOT NULL
    );
    CREATE INDEX deployments_by_endpoint ON deployments(endpoint, id);
    """,
]


def open_ui_db(repo: Path) -> Database:
    state_dir = repo / STATE_DIR
    state_dir.mkdir(parents=True, exist_ok=True)
    ignore = state_dir / ".gitignore"
    if not ignore.exists():  # as the pipeline state does: .mlci/ ignores itself
        ignore.write_text("# mlci state: pipelines, logs, venvs, secrets\n*\n", encoding="utf-8")
    return Database(state_dir / DB_FILE, MIGRATIONS)  # synchronous=FULL: the audit log
