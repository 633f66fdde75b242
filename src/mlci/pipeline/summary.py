"""A pipeline's view as text: what `mlci status` prints and `mlci run` ends with."""

from __future__ import annotations

import json

from mlci.pipeline.progress import SYMBOLS
from mlci.pipeline.state import FAILED
from mlci.pipeline.views import JobView, PipelineView


def _duration(job: JobView) -> str:
    seconds = job.duration
    return "" if seconds is None else f" {seconds:.1f}s"


def _job_line(job: JobView) -> str:
    row = job.row
    line = f"    {SYMBOLS.get(job.status, '?')} {row.name}: {job.status}{_duration(job)}"
    if row.approved_by:
        line += f" (approved by {row.approved_by})"
    elif row.carried_from:
        line += f" (from build {row.carried_from})"
    elif row.message and job.status not in ("success",):
        line += f" — {row.message}"
    return line


def summary_lines(view: PipelineView, *, steps: bool = False) -> list[str]:
    row = view.row
    tree = " (working tree)" if row.working_tree else ""
    lines = [
        f"Pipeline {row.number} ({row.branch or row.tag} at {row.revision[:12]}{tree}):"
        f" {view.status}"
    ]
    if row.error:
        lines.append(f"  error: {row.error}")
    for workflow in view.workflows:
        kind = " (setup)" if workflow.row.kind == "setup" else ""
        attempt = f" attempt {workflow.row.attempt}" if workflow.row.attempt > 1 else ""
        lines.append(f"  workflow {workflow.row.name}{kind}{attempt}: {workflow.status}")
        for job in workflow.jobs:
            lines.append(_job_line(job))
            if steps:
                lines.extend(
                    f"        [{s.position}] {s.name}: {s.status}"
                    + (f" — {s.message}" if s.message and s.status != "success" else "")
                    for s in job.steps
                )
    lines.extend(_next_steps(view))
    return lines


def _next_steps(view: PipelineView) -> list[str]:
    lines: list[str] = []
    number = view.number
    if row_is_noop(view):
        parameters = (view.row.continuation or {}).get("parameters")
        detail = f" (parameters {json.dumps(parameters)})" if parameters is not None else ""
        lines.append(f"  No workflow ran: nothing selected for this change{detail}")
    for workflow, job in view.failed_jobs():
        lines.append(f"  Log of the failure: mlci logs {number} {workflow.row.name}/{job.row.name}")
    held = view.held()
    if held:
        names = sorted({workflow.row.name for workflow, _ in held})
        for name in names:
            lines.append(f"  On hold; approve with: mlci approve {number} {name}")
    if view.status == FAILED:
        lines.append(f"  Rerun from failed: mlci rerun {number} --failed")
    return lines


def row_is_noop(view: PipelineView) -> bool:
    return view.row.main_created and not any(w.row.kind == "main" for w in view.workflows)
