"""The transactions that decide who drives a pipeline: the runner's lease, cancel requests
and approvals.

Each is one `BEGIN IMMEDIATE` transaction, so any two of them are ordered: an approval or
a cancel either lands before a runner's `release` (which then refuses, and the runner deals
with it) or after (when it sees no live runner, and the approving or canceling process
does the work itself). Nothing asked of a runner that is just leaving gets lost.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable

from mlci.pipeline import processes
from mlci.pipeline.state_schema import CANCELED, ON_HOLD, SUCCESS, PipelineRow, pipeline_row
from mlci.sqlite import Database


class Leases:
    db: Database

    def _pipeline(self, number: int) -> PipelineRow:
        found = self.db.query_one("SELECT * FROM pipelines WHERE number = ?", (number,))
        return pipeline_row(found)

    def acquire(self, number: int, pid: int) -> PipelineRow | None:
        """Take the pipeline for this process; None if another live process holds it."""
        token = processes.start_token(pid)
        with self.db.write() as conn:
            row = pipeline_row(
                conn.execute("SELECT * FROM pipelines WHERE number = ?", (number,)).fetchone()
            )
            if row.runner_pid not in (None, pid) and row.runner_alive:
                return None
            conn.execute(
                "UPDATE pipelines SET runner_pid = ?, runner_token = ?, cancel_requested = 0"
                " WHERE number = ?",
                (pid, token, number),
            )
        return self._pipeline(number)

    def release(self, number: int, pid: int, watched: Iterable[int] = ()) -> bool:
        """Give the pipeline up, unless one of the `watched` holds (those this runner left
        on hold) was approved meanwhile, or a cancel was asked for: False then, and the
        runner must deal with it first."""
        watched = list(watched)
        with self.db.write() as conn:
            asked = conn.execute(
                "SELECT cancel_requested FROM pipelines WHERE number = ?", (number,)
            ).fetchone()[0]
            if asked:
                return False
            if watched:
                marks = ", ".join("?" * len(watched))
                moved = conn.execute(
                    f"SELECT count(*) FROM jobs WHERE build_num IN ({marks}) AND status != ?",
                    (*watched, ON_HOLD),
                ).fetchone()[0]
                if moved:
                    return False
            conn.execute(
                "UPDATE pipelines SET runner_pid = NULL, runner_token = NULL"
                " WHERE number = ? AND runner_pid = ?",
                (number, pid),
            )
        return True

    def request_cancel(self, number: int) -> PipelineRow:
        """Ask the pipeline's live runner to stop; the row as it was (if no runner is alive,
        nothing is asked: the caller cancels the rows itself). One transaction, so a runner
        that is just leaving either sees the request or is seen gone (see `release`)."""
        with self.db.write() as conn:
            row = pipeline_row(
                conn.execute("SELECT * FROM pipelines WHERE number = ?", (number,)).fetchone()
            )
            if row.runner_alive:
                conn.execute(
                    "UPDATE pipelines SET cancel_requested = 1 WHERE number = ?", (number,)
                )
        return row

    def clear_cancel(self, number: int) -> None:
        with self.db.write() as conn:
            conn.execute("UPDATE pipelines SET cancel_requested = 0 WHERE number = ?", (number,))

    def approve_held(self, build_num: int, user: str) -> tuple[bool, PipelineRow]:
        """(approved?, the pipeline as it is now) in one transaction, so that whether a live
        runner will pick the approval up is decided without a race (see `release`)."""
        now = time.time()
        with self.db.write() as conn:
            changed = conn.execute(
                "UPDATE jobs SET status = ?, approved_by = ?, approved_at = ?, stopped_at = ?"
                " WHERE build_num = ? AND status = ?",
                (SUCCESS, user, now, now, build_num, ON_HOLD),
            ).rowcount
            pipeline = self._pipeline_of(conn, build_num)
        return changed == 1, pipeline

    def reject_held(self, build_num: int, user: str) -> tuple[bool, PipelineRow]:
        """As approve_held, but the approval ends canceled: what follows it will not run."""
        now = time.time()
        with self.db.write() as conn:
            changed = conn.execute(
                "UPDATE jobs SET status = ?, message = ?, stopped_at = ?"
                " WHERE build_num = ? AND status = ?",
                (CANCELED, f"rejected by {user}", now, build_num, ON_HOLD),
            ).rowcount
            pipeline = self._pipeline_of(conn, build_num)
        return changed == 1, pipeline

    @staticmethod
    def _pipeline_of(conn: sqlite3.Connection, build_num: int) -> PipelineRow:
        return pipeline_row(
            conn.execute(
                "SELECT p.* FROM pipelines p JOIN workflows w ON w.pipeline = p.number"
                " JOIN jobs j ON j.workflow = w.id WHERE j.build_num = ?",
                (build_num,),
            ).fetchone()
        )
