"""The pipeline state's schema: statuses, tables (as ordered migrations) and row records.

Statuses follow CircleCI's: a job is queued, running, on hold (an approval), then success,
failed, canceled or not run (an upstream job did not end as its `requires` accepts);
`interrupted` is ours, for rows a runner killed with SIGKILL left behind.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from mlci.pipeline import processes

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
# Shown, never stored: a queued job of a workflow on hold waits for the approval (CircleCI's
# "blocked"); the runner has left, having run everything that did not depend on it.
BLOCKED = "blocked"
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


def pipeline_row(row: Any) -> PipelineRow:
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


def workflow_row(row: Any) -> WorkflowRow:
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


def job_row(row: Any) -> JobRow:
    values = dict(row)
    values["process_groups"] = json.loads(row["process_groups"] or "[]")
    return JobRow(**values)


def step_row(row: Any) -> StepRow:
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


def effective_status(stored: str, runner_alive: bool, on_hold: bool = False) -> str:
    """What a stored workflow/job status means now: running without a runner is interrupted;
    queued in a workflow on hold is blocked behind the approval."""
    if stored == QUEUED and on_hold:
        return BLOCKED
    if stored in (RUNNING, QUEUED) and not runner_alive:
        return INTERRUPTED
    return stored
