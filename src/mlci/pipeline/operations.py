"""The verbs: run, approve, cancel, rerun. Each takes the pipeline's lease, drives it from
its state rows, and answers with the pipeline's view; the CLI only prints.

Ctrl-C and SIGTERM set the run's stop flag: running steps get SIGTERM (SIGKILL after a few
seconds), nothing new starts, and what had not started is marked canceled; the lease is
released on the way out. The first signal stops cleanly; state is consistent after it.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import NamedTuple

from mlci.pipeline import pipeline_runner
from mlci.pipeline.checkout import find_root
from mlci.pipeline.cloud_env import AwsProvider
from mlci.pipeline.config import Config
from mlci.pipeline.config_sources import values_from_record
from mlci.pipeline.errors import PipelineError
from mlci.pipeline.recovery import reconcile_interrupted
from mlci.pipeline.run_context import Reporter, RunContext, Secrets
from mlci.pipeline.state import (
    CANCELED,
    FAILED,
    INTERRUPTED,
    ON_HOLD,
    QUEUED,
    RUNNING,
    SUCCESS,
    PipelineRow,
    Store,
)
from mlci.pipeline.views import PipelineView, WorkflowView, pipeline_view


class Options(NamedTuple):
    aws: str = "auto"
    max_parallel: int = os.cpu_count() or 2
    since_last_run: bool = False


class Outcome(NamedTuple):
    view: PipelineView
    stopped_by: int | None = None  # the signal that stopped the run, if one did

    @property
    def exit_code(self) -> int:
        if self.stopped_by is not None:
            return 128 + self.stopped_by
        return 0 if self.view.status in (SUCCESS, ON_HOLD) and not self.view.failed_jobs() else 1


def open_store(directory: Path) -> tuple[Path, Store]:
    root = find_root(directory)
    return root, Store(root)


@contextmanager
def driving(
    root: Path, store: Store, row: PipelineRow, reporter: Reporter, options: Options
) -> Iterator[tuple[RunContext, list[int]]]:
    """A RunContext holding the pipeline's lease, with Ctrl-C/SIGTERM stopping it cleanly."""
    held = store.acquire(row.number, os.getpid())
    if held is None:
        raise PipelineError(
            f"pipeline {row.number} is being run by process {row.runner_pid};"
            f" stop it with `mlci cancel {row.number}`"
        )
    ctx = RunContext(
        root=root,
        store=store,
        pipeline=held,
        values=values_from_record(held.pipeline_values),
        reporter=reporter,
        aws=AwsProvider(options.aws),
        secrets=Secrets(root),
        max_parallel=max(1, options.max_parallel),
        since_last_run=options.since_last_run,
    )
    signals: list[int] = []

    def stop(number: int, frame: FrameType | None) -> None:
        signals.append(number)
        ctx.cancel.set()

    # Signal handlers can only be set from the main thread (a caller embedding the runner
    # in a server thread stops it with ctx.cancel instead).
    main = threading.current_thread() is threading.main_thread()
    wanted = (signal.SIGINT, signal.SIGTERM) if main else ()
    previous = {sig: signal.signal(sig, stop) for sig in wanted}
    try:
        yield ctx, signals
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        store.release(row.number, os.getpid())  # no-op when already released


def _drive(
    root: Path,
    store: Store,
    row: PipelineRow,
    reporter: Reporter,
    options: Options,
    config: Config | None = None,
) -> Outcome:
    with driving(root, store, row, reporter, options) as (ctx, signals):
        if config is not None:  # loaded by this process already: compile, do not reload
            ctx.configs["setup"] = config
        while True:
            pipeline_runner.drive(ctx)
            # Leave only if nothing this run left on hold was approved in the meantime,
            # and no cancel was asked for after the scheduler last looked.
            held = () if ctx.cancel.is_set() else ctx.held
            if store.release(row.number, os.getpid(), held):
                break
            if store.require_pipeline(row.number).cancel_requested:
                ctx.cancel.set()
                cancel_rows(store, row.number)
                store.clear_cancel(row.number)
    return Outcome(pipeline_view(store, row.number), signals[0] if signals else None)


def run(
    directory: Path,
    reporter: Reporter,
    options: Options,
    *,
    branch: str | None = None,
    config_path: str = pipeline_runner.DEFAULT_CONFIG,
    parameters: tuple[str, ...] = (),
    working_tree: bool = False,
) -> Outcome:
    prepared = pipeline_runner.prepare(
        directory,
        branch=branch,
        config_path=config_path,
        parameters=parameters,
        working_tree=working_tree,
    )
    store = Store(prepared.source.root)
    row, _ = pipeline_runner.create(store, prepared)
    reporter.note(
        f"Pipeline {row.number}: {row.branch} at {row.revision[:12]}"
        + (" (working tree)" if row.working_tree else "")
    )
    return _drive(prepared.source.root, store, row, reporter, options, prepared.config)


# --- approve -------------------------------------------------------------------------------


class Held(NamedTuple):
    pipeline: int
    workflow: str
    job: str
    build_num: int

    def describe(self) -> str:
        return f"pipeline {self.pipeline} workflow {self.workflow} (job {self.job})"


def held_jobs(store: Store, number: int | None) -> list[Held]:
    """Approval jobs on hold: in one pipeline, or in every pipeline, newest first."""
    rows = [store.require_pipeline(number)] if number is not None else store.pipelines(1000)
    found = []
    for row in rows:
        view = pipeline_view(store, row.number, details=False)
        for workflow, job in view.held():
            found.append(Held(row.number, workflow.row.name, job.row.name, job.row.build_num))
    return found


def choose_held(store: Store, number: int | None, workflow: str | None, job: str | None) -> Held:
    candidates = held_jobs(store, number)
    if number is None and candidates:
        newest = candidates[0].pipeline
        candidates = [c for c in candidates if c.pipeline == newest]
    if workflow is not None:
        candidates = [c for c in candidates if c.workflow == workflow]
    if job is not None:
        candidates = [c for c in candidates if c.job == job]
    if not candidates:
        where = f"pipeline {number}" if number is not None else "any pipeline"
        what = f" workflow {workflow}" if workflow else ""
        raise PipelineError(f"nothing is on hold in {where}{what}")
    if len(candidates) > 1:
        listing = "; ".join(c.describe() for c in candidates)
        raise PipelineError(f"more than one approval is waiting, say which: {listing}")
    return candidates[0]


def approve(
    directory: Path,
    reporter: Reporter,
    options: Options,
    *,
    number: int | None = None,
    workflow: str | None = None,
    job: str | None = None,
    user: str | None = None,
) -> tuple[Held, Outcome | None]:
    """Record the approval, then run what follows it (unless a live runner will)."""
    root, store = open_store(directory)
    held, row = _decide(
        store, reporter, store.approve_held, "Approved", number, workflow, job, user
    )
    if row.runner_alive:
        reporter.note(f"Process {row.runner_pid} is running pipeline {row.number}; it goes on")
        return held, None
    return held, _drive(root, store, row, reporter, options)


def reject(
    directory: Path,
    reporter: Reporter,
    *,
    number: int | None = None,
    workflow: str | None = None,
    job: str | None = None,
    user: str | None = None,
) -> PipelineView:
    """Cancel the workflow held at this approval, and only it, as CircleCI cancels one
    workflow: the approval ends canceled ("rejected by <user>") and nothing after it runs.
    The pipeline's other workflows, held or not, are left as they are."""
    _, store = open_store(directory)
    held, row = _decide(store, reporter, store.reject_held, "Rejected", number, workflow, job, user)
    if not row.runner_alive:  # a live runner sees the approval end and skips what follows
        for found in store.workflows(held.pipeline):
            if found.name == held.workflow and found.status == ON_HOLD:
                pending = [j for j in store.jobs(found.id) if j.status in (QUEUED, ON_HOLD)]
                message = f"canceled: {held.job} was rejected"
                store.finish_jobs((j.build_num, CANCELED, message) for j in pending)
                store.set_workflow_status(found.id, CANCELED)
    return pipeline_view(store, held.pipeline)


def _decide(
    store: Store,
    reporter: Reporter,
    decision: Callable[[int, str], tuple[bool, PipelineRow]],
    verb: str,
    number: int | None,
    workflow: str | None,
    job: str | None,
    user: str | None,
) -> tuple[Held, PipelineRow]:
    """Choose the held approval and record the decision on it, by `user` (default: us)."""
    held = choose_held(store, number, workflow, job)
    import getpass

    who = user or getpass.getuser()
    decided, row = decision(held.build_num, who)
    if not decided:
        raise PipelineError(f"{held.describe()} is no longer on hold")
    reporter.note(f"{verb} {held.describe()} as {who}")
    return held, row


# --- cancel ----------------------------------------------------------------------------------


def cancel(directory: Path, reporter: Reporter, number: int | None = None) -> PipelineView:
    _, store = open_store(directory)
    chosen = store.require_pipeline(number) if number is not None else _newest_active(store)
    row = store.request_cancel(chosen.number)
    if row.runner_alive:
        reporter.note(f"Asked process {row.runner_pid} to stop pipeline {row.number}")
        return pipeline_view(store, row.number)
    reconcile_interrupted(store, row.number)
    cancel_rows(store, row.number)
    reporter.note(f"Canceled pipeline {row.number}")
    return pipeline_view(store, row.number)


def cancel_rows(store: Store, number: int) -> None:
    """Mark what has not ended as canceled (no process is running any of it)."""
    for workflow in store.workflows(number):
        pending = [j for j in store.jobs(workflow.id) if j.status in (QUEUED, ON_HOLD, RUNNING)]
        if pending:
            store.finish_jobs((j.build_num, CANCELED, "canceled") for j in pending)
            store.set_workflow_status(workflow.id, CANCELED)


def _newest_active(store: Store) -> PipelineRow:
    for row in store.pipelines(1000):
        if pipeline_view(store, row.number, details=False).status in (RUNNING, ON_HOLD):
            return row
    raise PipelineError("no pipeline is running or on hold")


# --- rerun -------------------------------------------------------------------------------------


def rerun(
    directory: Path, reporter: Reporter, options: Options, number: int, *, failed: bool
) -> Outcome:
    """A new attempt of the pipeline's workflows; with `failed`, from where they failed
    (successful jobs carried over), which is also how an interrupted pipeline resumes."""
    root, store = open_store(directory)
    row = store.require_pipeline(number)
    if row.runner_alive:
        raise PipelineError(f"pipeline {number} is still being run by process {row.runner_pid}")
    reconcile_interrupted(store, number)
    view = pipeline_view(store, number, details=False)
    main = [w for w in view.workflows if w.row.kind == "main"]
    setup = [w for w in view.workflows if w.row.kind == "setup"]
    if not row.main_created or any(w.status != SUCCESS for w in setup):
        _retry_setup(store, number, setup)
    else:
        again = [w for w in main if not failed or w.status in (FAILED, CANCELED, INTERRUPTED)]
        if not again:
            raise PipelineError(
                f"nothing to rerun from failed: no workflow of pipeline {number} failed"
            )
        for workflow in again:
            carried = {j.row.name: j.row for j in workflow.jobs if failed and j.status == SUCCESS}
            jobs = [(j.row.name, j.row.type) for j in workflow.jobs]
            store.create_workflow(
                number, workflow.row.name, "main", jobs, carried=carried, supersedes=workflow.row.id
            )
    reporter.note(f"Rerunning pipeline {number}" + (" from failed" if failed else ""))
    return _drive(root, store, store.require_pipeline(number), reporter, options)


def _retry_setup(store: Store, number: int, setup: list[WorkflowView]) -> None:
    """The setup did not get the pipeline going: run it (and so the continuation) again."""
    store.clear_continuation(number)
    for workflow in setup:
        jobs = [(j.row.name, j.row.type) for j in workflow.jobs]
        store.create_workflow(number, workflow.row.name, "setup", jobs, supersedes=workflow.row.id)
