"""Pipeline state as the dashboard shows it, read through the runner's own views
(`mlci.pipeline.views`), and its approve / cancel verbs (`mlci.pipeline.operations`).

Approving runs the rest of the workflow, which takes as long as its jobs do and needs a main
thread of its own (the runner stops cleanly on signals), so it runs in a child process,
`python -m mlci.ui.approver`, that calls the runner's `operations.approve` with the signed-in
user's name; its output goes to `.mlci/ui-actions/`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from mlci.pipeline.environment import Masker
from mlci.pipeline.errors import PipelineError
from mlci.pipeline.job_logs import log_path, read_lines
from mlci.pipeline.run_context import Secrets
from mlci.pipeline.state import ON_HOLD, RUNNING, STATE_DIR, JobRow, Store
from mlci.pipeline.views import JobView, PipelineView, WorkflowView, pipeline_view

PER_PAGE = 50
MAX_LOG_LINES = 5000
APPROVAL_WAIT_SECONDS = 15.0
ACTIONS_DIR = "ui-actions"


class PipelineActionError(Exception):
    """An approve/reject that cannot be done, with the reason."""


@dataclass(frozen=True)
class PipelineSummary:
    view: PipelineView
    duration: float | None

    @property
    def live(self) -> bool:
        return self.view.status in (RUNNING,)


def open_store(repo: Path) -> Store | None:
    """The repository's pipeline state, or None when no pipeline has run here."""
    if not (repo / STATE_DIR / "state.db").exists():
        return None
    return Store(repo)


def duration(view: PipelineView) -> float | None:
    stops = [w.row.stopped_at for w in view.workflows]
    if not stops:
        return None
    if any(stop is None for stop in stops):
        return time.time() - view.row.created_at if view.status == RUNNING else None
    return max(s for s in stops if s is not None) - view.row.created_at


def page_of_pipelines(store: Store, page: int) -> tuple[list[PipelineSummary], bool]:
    """Newest first; (this page's pipelines, whether an older page exists)."""
    rows = store.pipelines(page * PER_PAGE + 1)
    shown = rows[(page - 1) * PER_PAGE : page * PER_PAGE]
    views = [pipeline_view(store, row.number, details=False) for row in shown]
    return [PipelineSummary(v, duration(v)) for v in views], len(rows) > page * PER_PAGE


def workflow_duration(workflow: WorkflowView) -> float | None:
    if workflow.row.stopped_at is None:
        return None
    return workflow.row.stopped_at - workflow.row.created_at


def find_job(view: PipelineView, build_num: int) -> tuple[WorkflowView, JobView]:
    for workflow in view.workflows:
        for job in workflow.jobs:
            if job.row.build_num == build_num:
                return workflow, job
    raise PipelineError(f"pipeline {view.number} has no job {build_num}")


def log_lines(store: Store, number: int, job: JobRow, masker: Masker) -> tuple[list[str], int]:
    """The job's log (masked again on the way out), its last MAX_LOG_LINES; and how many
    earlier lines were left out."""
    lines = read_lines(log_path(store, number, job))
    skipped = max(0, len(lines) - MAX_LOG_LINES)
    return [masker.mask(line) for line in lines[skipped:]], skipped


def display_masker(repo: Path, extra: list[str]) -> Masker:
    """Every project secret and context value, plus `extra` (the cloud's secret key)."""
    try:
        secrets = Secrets(repo)
    except (PipelineError, OSError):
        return Masker(extra)
    return secrets.masker.with_secrets(extra)


def held_job(store: Store, number: int, build_num: int) -> tuple[WorkflowView, JobView]:
    view = pipeline_view(store, number, details=False)
    workflow, job = find_job(view, build_num)
    if job.status != ON_HOLD:
        raise PipelineActionError(
            f"job {job.row.name} of pipeline {number} is {job.status}, not on hold"
        )
    return workflow, job


def approve(
    repo: Path, cloud_home: Path, store: Store, number: int, build_num: int, user: str
) -> str:
    """Start the approval in a child process; wait until the runner has recorded it."""
    workflow, job = held_job(store, number, build_num)
    actions = repo / STATE_DIR / ACTIONS_DIR
    actions.mkdir(parents=True, exist_ok=True)
    log = actions / f"{time.strftime('%Y%m%d-%H%M%S')}-approve-{number}-{build_num}.log"
    command = [
        sys.executable, "-m", "mlci.ui.approver", "--repo", str(repo), "--pipeline",
        str(number), "--workflow", workflow.row.name, "--job", job.row.name, "--user", user,
    ]  # fmt: skip
    with open(log, "ab") as out:
        environ = {**os.environ, "PYTHONUNBUFFERED": "1", "MLCI_HOME": str(cloud_home)}
        process = subprocess.Popen(
            command,
            cwd=repo,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            start_new_session=True,  # it outlives a stop of the dashboard, as `mlci approve`
            env=environ,
        )
    deadline = time.monotonic() + APPROVAL_WAIT_SECONDS
    while time.monotonic() < deadline:
        row = store.job(build_num)
        if row.approved_by is not None:
            return f"approved {workflow.row.name}/{job.row.name}; the workflow goes on"
        if process.poll() is not None:
            tail = log.read_text(errors="replace").strip().splitlines()[-5:]
            raise PipelineActionError("the approval failed: " + " / ".join(tail))
        time.sleep(0.05)
    raise PipelineActionError(f"the approval was not recorded within {APPROVAL_WAIT_SECONDS:.0f} s")


def reject(repo: Path, store: Store, number: int, build_num: int, user: str) -> str:
    """Cancel the workflow held at this approval; the pipeline's other workflows go on."""
    from mlci.pipeline import operations
    from mlci.pipeline.progress import Silent

    workflow, job = held_job(store, number, build_num)
    operations.reject(
        repo, Silent(), number=number, workflow=workflow.row.name, job=job.row.name, user=user
    )
    return f"rejected {workflow.row.name}/{job.row.name}: that workflow is canceled"
