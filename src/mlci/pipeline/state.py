"""Pipeline state in `.mlci/state.db`: pipelines, workflows, jobs, steps, artifacts.

Numbers and statuses follow CircleCI: pipelines are numbered per project, every job run gets
the next build number (`CIRCLE_BUILD_NUM`), workflows and jobs have uuids. A rerun adds new
workflow rows (attempt + 1) to the same pipeline; the previous attempt stays, superseded.

The process running a pipeline holds its lease (pid + process start time). A pipeline whose
rows say "running" while its lease holder is gone was interrupted (SIGKILL, power cut);
`effective_status` and `recovery.reconcile_interrupted` say so without guessing.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from mlci.pipeline.errors import PipelineError
from mlci.pipeline.state_leases import Leases
from mlci.pipeline.state_schema import (
    CANCELED,
    DB_FILE,
    ERRORED,
    FAILED,
    INTERRUPTED,
    MIGRATIONS,
    NOT_RUN,
    ON_HOLD,
    QUEUED,
    RUNNING,
    STATE_DIR,
    SUCCESS,
    TERMINAL,
    ArtifactRow,
    JobRow,
    NewPipeline,
    PipelineRow,
    StepRow,
    WorkflowRow,
    effective_status,
    job_row,
    pipeline_row,
    step_row,
    workflow_row,
)
from mlci.sqlite import Database

__all__ = [
    "CANCELED",
    "DB_FILE",
    "ERRORED",
    "FAILED",
    "INTERRUPTED",
    "MIGRATIONS",
    "NOT_RUN",
    "ON_HOLD",
    "QUEUED",
    "RUNNING",
    "STATE_DIR",
    "SUCCESS",
    "TERMINAL",
    "ArtifactRow",
    "JobRow",
    "NewPipeline",
    "PipelineRow",
    "StepRow",
    "Store",
    "WorkflowRow",
    "effective_status",
]


class Store(Leases):
    """Every read and write of pipeline state goes through here (the lease, cancel and
    approval transactions in `state_leases.Leases`)."""

    def __init__(self, repo_root: Path) -> None:
        self.root = repo_root / STATE_DIR
        _ensure_ignored(self.root)
        self.db = Database(self.root / DB_FILE, MIGRATIONS, synchronous="NORMAL")

    def close(self) -> None:
        self.db.close()

    def pipeline_dir(self, number: int) -> Path:
        return self.root / "pipelines" / str(number)

    # --- pipelines ---------------------------------------------------------------------

    def create_pipeline(self, new: NewPipeline, values_for: Any) -> PipelineRow:
        """Allocate the next number and store the pipeline; `values_for(number)` gives the
        pipeline values (they include the number) as a JSON-able dict."""
        with self.db.write() as conn:
            number = (conn.execute("SELECT max(number) FROM pipelines").fetchone()[0] or 0) + 1
            conn.execute(
                "INSERT INTO pipelines (number, id, branch, tag, revision, working_tree,"
                " config_path, arguments, pipeline_values, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    number,
                    new.id,
                    new.branch,
                    new.tag,
                    new.revision,
                    int(new.working_tree),
                    new.config_path,
                    json.dumps(new.arguments),
                    json.dumps(values_for(number)),
                    time.time(),
                ),
            )
        return self.require_pipeline(number)

    def pipeline(self, number: int) -> PipelineRow | None:
        row = self.db.query_one("SELECT * FROM pipelines WHERE number = ?", (number,))
        return pipeline_row(row) if row else None

    def require_pipeline(self, number: int) -> PipelineRow:
        found = self.pipeline(number)
        if found is None:
            latest = self.db.query_one("SELECT max(number) FROM pipelines")
            newest = latest[0] if latest else None
            hint = f"pipelines are 1..{newest}" if newest else "no pipeline has run here yet"
            raise PipelineError(f"there is no pipeline {number} ({hint})")
        return found

    def pipelines(self, limit: int = 20) -> list[PipelineRow]:
        rows = self.db.query("SELECT * FROM pipelines ORDER BY number DESC LIMIT ?", (limit,))
        return [pipeline_row(row) for row in rows]

    def latest_pipeline(self) -> PipelineRow | None:
        rows = self.pipelines(1)
        return rows[0] if rows else None

    def set_continuation(self, number: int, continuation: dict[str, Any]) -> None:
        with self.db.write() as conn:
            row = conn.execute(
                "SELECT continuation FROM pipelines WHERE number = ?", (number,)
            ).fetchone()
            if row["continuation"]:
                raise PipelineError(
                    f"pipeline {number} was already continued; a setup workflow continues once"
                )
            conn.execute(
                "UPDATE pipelines SET continuation = ? WHERE number = ?",
                (json.dumps(continuation), number),
            )

    def mark_main_created(self, number: int) -> None:
        with self.db.write() as conn:
            conn.execute("UPDATE pipelines SET main_created = 1 WHERE number = ?", (number,))

    def clear_continuation(self, number: int) -> None:
        """Before rerunning the setup workflow: it will continue (again)."""
        with self.db.write() as conn:
            conn.execute(
                "UPDATE pipelines SET continuation = NULL, main_created = 0, error = NULL"
                " WHERE number = ?",
                (number,),
            )

    def set_error(self, number: int, message: str | None) -> None:
        with self.db.write() as conn:
            conn.execute("UPDATE pipelines SET error = ? WHERE number = ?", (message, number))

    # --- workflows and jobs --------------------------------------------------------------

    def create_workflow(
        self,
        pipeline: int,
        name: str,
        kind: str,
        jobs: Sequence[tuple[str, str]],
        *,
        carried: dict[str, JobRow] | None = None,
        supersedes: str | None = None,
    ) -> WorkflowRow:
        """A workflow attempt with a row per job ((name, type), in dependency order).

        Jobs in `carried` (a rerun from failed) keep their status and point at the run they
        came from, as CircleCI shows them."""
        carried = carried or {}
        now = time.time()
        workflow_id = str(uuid.uuid4())
        with self.db.write() as conn:
            previous = conn.execute(
                "SELECT max(attempt) FROM workflows WHERE pipeline = ? AND name = ? AND kind = ?",
                (pipeline, name, kind),
            ).fetchone()[0]
            if supersedes is not None:
                conn.execute("UPDATE workflows SET superseded = 1 WHERE id = ?", (supersedes,))
            conn.execute(
                "INSERT INTO workflows (id, pipeline, name, kind, attempt, status, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (workflow_id, pipeline, name, kind, (previous or 0) + 1, RUNNING, now),
            )
            conn.executemany(
                "INSERT INTO jobs (id, workflow, position, name, type, status, message,"
                " queued_at, started_at, stopped_at, approved_by, approved_at, carried_from)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        str(uuid.uuid4()),
                        workflow_id,
                        position,
                        job_name,
                        job_type,
                        *_carried_columns(carried.get(job_name), now),
                    )
                    for position, (job_name, job_type) in enumerate(jobs)
                ],
            )
        return self.require_workflow(workflow_id)

    def require_workflow(self, workflow_id: str) -> WorkflowRow:
        row = self.db.query_one("SELECT * FROM workflows WHERE id = ?", (workflow_id,))
        if row is None:
            raise PipelineError(f"there is no workflow {workflow_id}")
        return workflow_row(row)

    def workflows(self, pipeline: int, *, current: bool = True) -> list[WorkflowRow]:
        """The pipeline's workflows in creation order (setup first); current attempts only
        unless `current` is False."""
        sql = "SELECT * FROM workflows WHERE pipeline = ?"
        if current:
            sql += " AND superseded = 0"
        rows = self.db.query(sql + " ORDER BY created_at, rowid", (pipeline,))
        return [workflow_row(row) for row in rows]

    def set_workflow_status(self, workflow_id: str, status: str) -> None:
        stopped = None if status in (RUNNING, ON_HOLD) else time.time()
        with self.db.write() as conn:
            conn.execute(
                "UPDATE workflows SET status = ?, stopped_at = ? WHERE id = ?",
                (status, stopped, workflow_id),
            )

    def jobs(self, workflow_id: str) -> list[JobRow]:
        rows = self.db.query(
            "SELECT * FROM jobs WHERE workflow = ? ORDER BY position", (workflow_id,)
        )
        return [job_row(row) for row in rows]

    def job(self, build_num: int) -> JobRow:
        row = self.db.query_one("SELECT * FROM jobs WHERE build_num = ?", (build_num,))
        if row is None:
            raise PipelineError(f"there is no job {build_num}")
        return job_row(row)

    def start_job(self, build_num: int) -> None:
        with self.db.write() as conn:
            conn.execute(
                "UPDATE jobs SET status = ?, started_at = ? WHERE build_num = ?",
                (RUNNING, time.time(), build_num),
            )

    def finish_job(self, build_num: int, status: str, message: str | None = None) -> None:
        now = time.time()
        with self.db.write() as conn:
            conn.execute(
                "UPDATE jobs SET status = ?, message = ?, stopped_at = ?, process_groups = NULL"
                " WHERE build_num = ?",
                (status, message, now, build_num),
            )

    def finish_jobs(self, updates: Iterable[tuple[int, str, str | None]]) -> None:
        """Several jobs at once (not run, canceled): (build_num, status, message)."""
        now = time.time()
        with self.db.write() as conn:
            conn.executemany(
                "UPDATE jobs SET status = ?, message = ?, stopped_at = ?, process_groups = NULL"
                " WHERE build_num = ?",
                [(status, message, now, build_num) for build_num, status, message in updates],
            )

    def hold_job(self, build_num: int) -> None:
        with self.db.write() as conn:
            conn.execute(
                "UPDATE jobs SET status = ?, started_at = ? WHERE build_num = ?",
                (ON_HOLD, time.time(), build_num),
            )

    def set_process_groups(self, build_num: int, groups: list[list[Any]]) -> None:
        with self.db.write() as conn:
            conn.execute(
                "UPDATE jobs SET process_groups = ? WHERE build_num = ?",
                (json.dumps(groups), build_num),
            )

    # --- steps and artifacts -------------------------------------------------------------

    def start_step(
        self,
        job: int,
        position: int,
        name: str,
        background: bool,
        process_groups: list[list[Any]] | None = None,
    ) -> None:
        """Record a step as running (with the job's live process groups, when it has just
        started one: one transaction for both)."""
        with self.db.write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO steps (job, position, name, status, background,"
                " started_at) VALUES (?, ?, ?, ?, ?, ?)",
                (job, position, name, RUNNING, int(background), time.time()),
            )
            if process_groups is not None:
                conn.execute(
                    "UPDATE jobs SET process_groups = ? WHERE build_num = ?",
                    (json.dumps(process_groups), job),
                )

    def finish_step(
        self, job: int, position: int, status: str, exit_code: int | None, message: str | None
    ) -> None:
        with self.db.write() as conn:
            conn.execute(
                "UPDATE steps SET status = ?, exit_code = ?, message = ?, stopped_at = ?"
                " WHERE job = ? AND position = ?",
                (status, exit_code, message, time.time(), job, position),
            )

    def steps(self, job: int) -> list[StepRow]:
        rows = self.db.query("SELECT * FROM steps WHERE job = ? ORDER BY position", (job,))
        return [step_row(row) for row in rows]

    def add_artifact(self, job: int, kind: str, path: str, size: int) -> None:
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO artifacts (job, kind, path, size) VALUES (?, ?, ?, ?)",
                (job, kind, path, size),
            )

    def artifacts(self, job: int) -> list[ArtifactRow]:
        rows = self.db.query("SELECT * FROM artifacts WHERE job = ? ORDER BY rowid", (job,))
        return [ArtifactRow(r["job"], r["kind"], r["path"], r["size"]) for r in rows]


def _carried_columns(old: JobRow | None, now: float) -> tuple[Any, ...]:
    """status, message, queued_at, started_at, stopped_at, approved_by, approved_at,
    carried_from of a new job row: fresh, or carried over from `old` (rerun from failed)."""
    if old is None:
        return (QUEUED, None, now, None, None, None, None, None)
    origin = old.carried_from or old.build_num
    return (
        old.status,
        old.message,
        now,
        old.started_at,
        old.stopped_at,
        old.approved_by,
        old.approved_at,
        origin,
    )


def _ensure_ignored(root: Path) -> None:
    """`.mlci/` ignores itself, so neither `git status` nor a working-tree snapshot sees it."""
    root.mkdir(parents=True, exist_ok=True)
    ignore = root / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# mlci state: pipelines, logs, venvs, secrets\n*\n", encoding="utf-8")
