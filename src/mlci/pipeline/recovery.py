"""After a crash: what a runner killed with SIGKILL (or a power cut) left running.

Its rows still say running or queued; its step processes may still run. Before anything
resumes such a pipeline (rerun, cancel), the rows are marked interrupted and the leftover
process groups — checked to still be the recorded processes — are killed.
"""

from __future__ import annotations

from typing import Any

from mlci.pipeline import processes
from mlci.pipeline.state import INTERRUPTED, ON_HOLD, QUEUED, RUNNING, JobRow, Store


def reconcile_interrupted(store: Store, number: int) -> list[JobRow]:
    """Mark what a dead runner left running or queued as interrupted; the jobs touched.

    Only when no live process holds the pipeline. Process groups the dead runner's steps
    left behind are killed (after checking they are still the recorded processes)."""
    row = store.require_pipeline(number)
    if row.runner_alive:
        return []
    touched: list[JobRow] = []
    for workflow in store.workflows(number):
        if workflow.status not in (RUNNING, ON_HOLD):
            continue
        jobs = store.jobs(workflow.id)
        stale = [job for job in jobs if job.status in (RUNNING, QUEUED)]
        if not stale and workflow.status == ON_HOLD:
            continue
        for job in stale:
            _kill_leftovers(job.process_groups)
        store.finish_jobs(
            (job.build_num, INTERRUPTED, "the runner stopped (killed?) before this ended")
            for job in stale
        )
        touched.extend(stale)
        if stale:
            store.set_workflow_status(workflow.id, INTERRUPTED)
    return touched


def _kill_leftovers(groups: list[list[Any]]) -> None:
    for pgid, token in groups:
        if processes.is_alive(int(pgid), str(token)):
            processes.kill_group(int(pgid))
