"""Pipeline state in `.mlci/state.db`: pipelines, workflows, jobs, steps, artifacts.

Numbers and statuses follow CircleCI: pipelines are numbered per project, every job run gets
the next build number (`CIRCLE_BUILD_NUM`), workflows and jobs have uuids. A rerun adds new
workflow rows (attempt + 1) to the same pipeline; the previous attempt stays, superseded.

The process running a pipeline holds its lease (pid + process start time). A pipeline whose
rows say "running" while its lease holder is gone was interrupted (SIGKILL, power cut);
`interrupted_view` and `reconcile_interrupted` say so without guessing.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from mlci.pipeline import processes
from mlci.pipeline.database import Database
from mlci.pipeline.errors import PipelineError

STATE_DIR = ".mlci"
DB_FILE = "state.db"

# Job statuses. Terminal ones never change again within an attempt.
QUEUED, RUNNING, ON_HOLD = "queued", "running", "on_hold"
SUCCESS, FAILED, CANCELED, NOT_RUN, INTERRUPTED = (
    "success",
    "failed",
    "canceled",
    "not_run",
    "interrupted",
)
TERMINAL = frozenset({SUCCESS, FAILED, CANCELED, NOT_RUN, INTERRUPTED})
# Pipeline and workflow statuses add: errored (the config could not be continued).
ERRORED = "errored"

MIGRATIONS = [
    """
    CREATE TABLE pipelines (
        number INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        branch TEXT,
        tag TEXT,
        revision TEXT NOT NULL,
        working_tree INTEGER NOT NULL DEFAULT 0,
        config_path TEXT NOT NULL,
        arguments TEXT NOT NULL,
        pipeline_values TEXT NOT NULL,
        continuation TEXT,
        main_created INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        created_at REAL NOT NULL,
        runner_pid INTEGER,
        runner_token TEXT,
        cancel_requested INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE workflows (
        id TEXT PRIMARY KEY,
        pipeline INTEGER NOT NULL REFERENCES pipelines(number),
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        superseded INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL,
        created_at REAL NOT NULL,
        stopped_at REAL
    );
    CREATE INDEX workflows_by_pipeline ON workflows(pipeline);
    CREATE TABLE jobs (
        build_num INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        workflow TEXT NOT NULL REFERENCES workflows(id),
        position INTEGER NOT NULL,
        name TEXT NOT NULL,
        type TEXT NOT NULL,
        status TEXT NOT NULL,
        message TEXT,
        queued_at REAL NOT NULL,
        started_at REAL,
        stopped_at REAL,
        approved_by TEXT,
        approved_at REAL,
        carried_from INTEGER,
        process_groups TEXT
    );
    CREATE INDEX jobs_by_workflow ON jobs(workflow);
    CREATE TABLE steps (
        job INTEGER NOT NULL REFERENCES jobs(build_num),
        position INTEGER NOT NULL,
        name TEXT NOT NULL,
        status TEXT NOT NULL,
        background INTEGER NOT NULL DEFAULT 0,
        exit_code INTEGER,
        message TEXT,
        started_at REAL,
        stopped_at REAL,
        PRIMARY KEY (job, position)
    );
    CREATE TABLE artifacts (
        job INTEGER NOT NULL REFERENCES jobs(build_num),
        kind TEXT NOT NULL,
        path TEXT NOT NULL,
        size INTEGER NOT NULL
    );
    """,
]


class PipelineRow(NamedTuple):
    number: int
    id: str
    branch: str | None
    tag: str | None
    revision: str
    working_tree: bool
    config_path: str
    arguments: dict[str, Any]
    pipeline_values: dict[str, Any]
    continuation: dict[str, Any] | None
    main_created: bool  # the (continued) config's workflows exist, possibly none
    error: str | None
    created_at: float
    runner_pid: int | None
    runner_token: str | None
    cancel_requested: bool

    @property
    def runner_alive(self) -> bool:
        return processes.is_alive(self.runner_pid, self.runner_token)


class WorkflowRow(NamedTuple):
    id: str
    pipeline: int
    name: str
    kind: str  # "setup" or "main"
    attempt: int
    superseded: bool
    status: str
    created_at: float
    stopped_at: float | None


class JobRow(NamedTuple):
    build_num: int
    id: str
    workflow: str
    position: int
    name: str
    type: str
    status: str
    message: str | None
    queued_at: float
    started_at: float | None
    stopped_at: float | None
    approved_by: str | None
    approved_at: float | None
    carried_from: int | None
    process_groups: list[list[Any]]

    @property
    def is_approval(self) -> bool:
        return self.type == "approval"


class StepRow(NamedTuple):
    job: int
    position: int
    name: str
    status: str
    background: bool
    exit_code: int | None
    message: str | None
    started_at: float | None
    stopped_at: float | None


class ArtifactRow(NamedTuple):
    job: int
    kind: str  # "artifact" or "test-results"
    path: str
    size: int


def _pipeline(row: Any) -> PipelineRow:
    return PipelineRow(
        number=row["number"],
        id=row["id"],
        branch=row["branch"],
        tag=row["tag"],
        revision=row["revision"],
        working_tree=bool(row["working_tree"]),
        config_path=row["config_path"],
        arguments=json.loads(row["arguments"]),
        pipeline_values=json.loads(row["pipeline_values"]),
        continuation=json.loads(row["continuation"]) if row["continuation"] else None,
        main_created=bool(row["main_created"]),
        error=row["error"],
        created_at=row["created_at"],
        runner_pid=row["runner_pid"],
        runner_token=row["runner_token"],
        cancel_requested=bool(row["cancel_requested"]),
    )


def _workflow(row: Any) -> WorkflowRow:
    return WorkflowRow(
        row["id"],
        row["pipeline"],
        row["name"],
        row["kind"],
        row["attempt"],
        bool(row["superseded"]),
        row["status"],
        row["created_at"],
        row["stopped_at"],
    )


def _job(row: Any) -> JobRow:
    values = dict(row)
    values["process_groups"] = json.loads(row["process_groups"] or "[]")
    return JobRow(**values)


def _step(row: Any) -> StepRow:
    values = dict(row)
    values["background"] = bool(values["background"])
    return StepRow(**values)


class NewPipeline(NamedTuple):
    id: str
    branch: str | None
    tag: str | None
    revision: str
    working_tree: bool
    config_path: str
    arguments: dict[str, Any]


class Store:
    """Every read and write of pipeline state goes through here."""

    def __init__(self, repo_root: Path) -> None:
        self.root = repo_root / STATE_DIR
        _ensure_ignored(self.root)
        self.db = Database(self.root / DB_FILE, MIGRATIONS)

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
        return _pipeline(row) if row else None

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
        return [_pipeline(row) for row in rows]

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

    def request_cancel(self, number: int, requested: bool = True) -> None:
        with self.db.write() as conn:
            conn.execute(
                "UPDATE pipelines SET cancel_requested = ? WHERE number = ?",
                (int(requested), number),
            )

    # --- the runner's lease -------------------------------------------------------------

    def acquire(self, number: int, pid: int) -> PipelineRow | None:
        """Take the pipeline for this process; None if another live process holds it."""
        token = processes.start_token(pid)
        with self.db.write() as conn:
            row = _pipeline(
                conn.execute("SELECT * FROM pipelines WHERE number = ?", (number,)).fetchone()
            )
            if row.runner_pid not in (None, pid) and row.runner_alive:
                return None
            conn.execute(
                "UPDATE pipelines SET runner_pid = ?, runner_token = ?, cancel_requested = 0"
                " WHERE number = ?",
                (pid, token, number),
            )
        return self.require_pipeline(number)

    def release(self, number: int, pid: int) -> None:
        with self.db.write() as conn:
            conn.execute(
                "UPDATE pipelines SET runner_pid = NULL, runner_token = NULL"
                " WHERE number = ? AND runner_pid = ?",
                (number, pid),
            )

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
            for position, (job_name, job_type) in enumerate(jobs):
                old = carried.get(job_name)
                conn.execute(
                    "INSERT INTO jobs (id, workflow, position, name, type, status, message,"
                    " queued_at, started_at, stopped_at, approved_by, approved_at, carried_from)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        str(uuid.uuid4()),
                        workflow_id,
                        position,
                        job_name,
                        job_type,
                        old.status if old else QUEUED,
                        old.message if old else None,
                        now,
                        old.started_at if old else None,
                        old.stopped_at if old else None,
                        old.approved_by if old else None,
                        old.approved_at if old else None,
                        (old.carried_from or old.build_num) if old else None,
                    ),
                )
        return self.require_workflow(workflow_id)

    def require_workflow(self, workflow_id: str) -> WorkflowRow:
        row = self.db.query_one("SELECT * FROM workflows WHERE id = ?", (workflow_id,))
        if row is None:
            raise PipelineError(f"there is no workflow {workflow_id}")
        return _workflow(row)

    def workflows(self, pipeline: int, *, current: bool = True) -> list[WorkflowRow]:
        """The pipeline's workflows in creation order (setup first); current attempts only
        unless `current` is False."""
        sql = "SELECT * FROM workflows WHERE pipeline = ?"
        if current:
            sql += " AND superseded = 0"
        rows = self.db.query(sql + " ORDER BY created_at, rowid", (pipeline,))
        return [_workflow(row) for row in rows]

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
        return [_job(row) for row in rows]

    def job(self, build_num: int) -> JobRow:
        row = self.db.query_one("SELECT * FROM jobs WHERE build_num = ?", (build_num,))
        if row is None:
            raise PipelineError(f"there is no job {build_num}")
        return _job(row)

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

    def approve_job(self, build_num: int, user: str) -> bool:
        """Record the approval; False if the job was no longer on hold."""
        now = time.time()
        with self.db.write() as conn:
            changed = conn.execute(
                "UPDATE jobs SET status = ?, approved_by = ?, approved_at = ?, stopped_at = ?"
                " WHERE build_num = ? AND status = ?",
                (SUCCESS, user, now, now, build_num, ON_HOLD),
            ).rowcount
        return changed == 1

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
        return [_step(row) for row in rows]

    def add_artifact(self, job: int, kind: str, path: str, size: int) -> None:
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO artifacts (job, kind, path, size) VALUES (?, ?, ?, ?)",
                (job, kind, path, size),
            )

    def artifacts(self, job: int) -> list[ArtifactRow]:
        rows = self.db.query("SELECT * FROM artifacts WHERE job = ? ORDER BY rowid", (job,))
        return [ArtifactRow(r["job"], r["kind"], r["path"], r["size"]) for r in rows]

    # --- after a crash --------------------------------------------------------------------

    def reconcile_interrupted(self, number: int) -> list[JobRow]:
        """Mark what a dead runner left running or queued as interrupted; the jobs touched.

        Only when no live process holds the pipeline. Process groups the dead runner's steps
        left behind are killed (after checking they are still the recorded processes)."""
        row = self.require_pipeline(number)
        if row.runner_alive:
            return []
        touched: list[JobRow] = []
        for workflow in self.workflows(number):
            if workflow.status not in (RUNNING, ON_HOLD):
                continue
            jobs = self.jobs(workflow.id)
            stale = [job for job in jobs if job.status in (RUNNING, QUEUED)]
            if not stale and workflow.status == ON_HOLD:
                continue
            for job in stale:
                _kill_leftovers(job.process_groups)
            self.finish_jobs(
                (job.build_num, INTERRUPTED, "the runner stopped (killed?) before this ended")
                for job in stale
            )
            touched.extend(stale)
            if stale:
                self.set_workflow_status(workflow.id, INTERRUPTED)
        return touched


def _kill_leftovers(groups: list[list[Any]]) -> None:
    for pgid, token in groups:
        if processes.is_alive(int(pgid), str(token)):
            processes.kill_group(int(pgid))


def effective_status(stored: str, runner_alive: bool) -> str:
    """What a stored workflow/job status means now: running without a runner is interrupted."""
    if stored in (RUNNING, QUEUED) and not runner_alive:
        return INTERRUPTED
    return stored


def _ensure_ignored(root: Path) -> None:
    """`.mlci/` ignores itself, so neither `git status` nor a working-tree snapshot sees it."""
    root.mkdir(parents=True, exist_ok=True)
    ignore = root / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# mlci state: pipelines, logs, venvs, secrets\n*\n", encoding="utf-8")
