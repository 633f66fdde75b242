"""Who did what, when, from the dashboard: every action, refused ones included."""

from __future__ import annotations

import time
from dataclasses import dataclass

from mlci.sqlite import Database

OK, REFUSED, FAILED = "ok", "refused", "failed"
MAX_DETAIL = 2000


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: float
    who: str
    action: str  # e.g. "approve-job", "reject-package", "rollback-endpoint"
    target: str  # what it acted on: a job, a package ARN, an endpoint name
    outcome: str  # ok, refused or failed
    detail: str  # the comment given, or why it was refused / failed
    client: str  # the peer address the request came from


class AuditLog:
    def __init__(self, db: Database) -> None:
        self.db = db

    def record(
        self, who: str, action: str, target: str, outcome: str, detail: str = "", client: str = ""
    ) -> AuditEntry:
        now = time.time()
        with self.db.write() as conn:
            cursor = conn.execute(
                "INSERT INTO audit (at, who, action, target, outcome, detail, client)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (now, who, action, target, outcome, detail[:MAX_DETAIL], client),
            )
        return AuditEntry(
            int(cursor.lastrowid or 0), now, who, action, target, outcome, detail, client
        )

    def recent(self, limit: int = 200) -> list[AuditEntry]:
        rows = self.db.query("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,))
        return [AuditEntry(**dict(row)) for row in rows]

    def for_targets(self, targets: list[str]) -> dict[str, AuditEntry]:
        """The latest successful action on each of `targets`."""
        found: dict[str, AuditEntry] = {}
        for start in range(0, len(targets), 500):
            chunk = targets[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.query(
                f"SELECT * FROM audit WHERE outcome = ? AND target IN ({marks}) ORDER BY id",
                (OK, *chunk),
            )
            for row in rows:
                found[row["target"]] = AuditEntry(**dict(row))
        return found
