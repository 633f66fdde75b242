"""What a pipeline looks like now, read from state: for `mlci status`, the end of a run,
`mlci approve`'s choices, and `--json`.

Statuses are derived, not trusted: a workflow's status comes from its jobs', and rows left
"running" by a runner that no longer exists read as interrupted.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from mlci.pipeline import graph
from mlci.pipeline.state import (
    CANCELED,
    ERRORED,
    FAILED,
    INTERRUPTED,
    ON_HOLD,
    RUNNING,
    SUCCESS,
    ArtifactRow,
    JobRow,
    PipelineRow,
    StepRow,
    Store,
    WorkflowRow,
    effective_status,
)


class JobView(NamedTuple):
    row: JobRow
    status: str
    steps: list[StepRow]
    artifacts: list[ArtifactRow]

    @property
    def duration(self) -> float | None:
        if self.row.started_at is None:
            return None
        end = self.row.stopped_at
        return None if end is None else end - self.row.started_at


class WorkflowView(NamedTuple):
    row: WorkflowRow
    status: str
    jobs: list[JobView]

    def on_hold(self) -> list[JobView]:
        return [job for job in self.jobs if job.status == ON_HOLD]


class PipelineView(NamedTuple):
    row: PipelineRow
    status: str
    workflows: list[WorkflowView]
    runner_alive: bool

    @property
    def number(self) -> int:
        return self.row.number

    def failed_jobs(self) -> list[tuple[WorkflowView, JobView]]:
        return [(w, j) for w in self.workflows for j in w.jobs if j.status == FAILED]

    def held(self) -> list[tuple[WorkflowView, JobView]]:
        return [(w, j) for w in self.workflows for j in w.on_hold()]


def workflow_view(store: Store, row: WorkflowRow, alive: bool, *, details: bool) -> WorkflowView:
    jobs = []
    rows = store.jobs(row.id)
    on_hold = any(job.status == ON_HOLD for job in rows)
    for job in rows:
        steps = store.steps(job.build_num) if details else []
        artifacts = store.artifacts(job.build_num) if details else []
        status = effective_status(job.status, alive, on_hold)
        jobs.append(JobView(job, status, steps, artifacts))
    status = (
        graph.workflow_status({job.row.name: job.status for job in jobs}) if jobs else row.status
    )
    return WorkflowView(row, effective_status(status, alive), jobs)


def pipeline_view(store: Store, number: int, *, details: bool = True) -> PipelineView:
    row = store.require_pipeline(number)
    alive = row.runner_alive
    workflows = [workflow_view(store, w, alive, details=details) for w in store.workflows(number)]
    return PipelineView(row, _pipeline_status(row, workflows, alive), workflows, alive)


def _pipeline_status(row: PipelineRow, workflows: list[WorkflowView], alive: bool) -> str:
    if row.error:
        return ERRORED
    statuses = {workflow.status for workflow in workflows}
    for status in (RUNNING, INTERRUPTED, FAILED, CANCELED, ON_HOLD):
        if status in statuses:
            return status
    if not row.main_created:
        # The workflows that do the work are not there yet: the runner is about to create
        # them, or it died before it could.
        return RUNNING if alive else INTERRUPTED
    return SUCCESS


# --- JSON ---------------------------------------------------------------------------------


def _step_json(step: StepRow) -> dict[str, Any]:
    return {
        "number": step.position,
        "name": step.name,
        "status": step.status,
        "background": step.background,
        "exit_code": step.exit_code,
        "message": step.message,
        "started_at": step.started_at,
        "stopped_at": step.stopped_at,
    }


def _job_json(job: JobView) -> dict[str, Any]:
    row = job.row
    return {
        "name": row.name,
        "type": row.type,
        "status": job.status,
        "build_num": row.build_num,
        "id": row.id,
        "message": row.message,
        "started_at": row.started_at,
        "stopped_at": row.stopped_at,
        "duration": job.duration,
        "approved_by": row.approved_by,
        "approved_at": row.approved_at,
        "carried_from": row.carried_from,
        "steps": [_step_json(step) for step in job.steps],
        "artifacts": [{"kind": a.kind, "path": a.path, "size": a.size} for a in job.artifacts],
    }


def pipeline_json(view: PipelineView) -> dict[str, Any]:
    row = view.row
    return {
        "number": row.number,
        "id": row.id,
        "status": view.status,
        "branch": row.branch,
        "tag": row.tag,
        "revision": row.revision,
        "working_tree": row.working_tree,
        "config_path": row.config_path,
        "parameters": (row.continuation or {}).get("parameters", row.arguments),
        "error": row.error,
        "created_at": row.created_at,
        "runner_pid": row.runner_pid if view.runner_alive else None,
        "workflows": [
            {
                "name": w.row.name,
                "id": w.row.id,
                "kind": w.row.kind,
                "attempt": w.row.attempt,
                "status": w.status,
                "jobs": [_job_json(job) for job in w.jobs],
            }
            for w in view.workflows
        ],
    }
