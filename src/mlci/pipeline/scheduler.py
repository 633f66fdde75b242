"""Running workflows: jobs in dependency order, independent ones in parallel, holds, stops.

All the workflows given run together (as a pipeline's workflows do). The scheduler starts
every job whose requirements are met, up to `max_parallel` at a time, each in a worker
thread; waits for one to end; decides again. Approval jobs go on hold; when nothing is left
running the scheduler returns, leaving them for `mlci approve` (which resumes from the same
state rows). While it waits it also notices, from the state database, an approval or a
cancel made by another `mlci` process.

A stop (`ctx.cancel`) lets running jobs end their current step, then marks everything that
had not started as canceled.
"""

from __future__ import annotations

import queue
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from mlci.pipeline import graph, model
from mlci.pipeline.job_runner import JobOutcome, JobRunner
from mlci.pipeline.run_context import RunContext
from mlci.pipeline.state import (
    CANCELED,
    FAILED,
    NOT_RUN,
    ON_HOLD,
    QUEUED,
    RUNNING,
    SUCCESS,
    JobRow,
    WorkflowRow,
)

POLL_SECONDS = 0.25  # how often to look for approvals and cancels from other processes


@dataclass
class WorkflowRun:
    """One workflow attempt being driven: its model and its job rows."""

    row: WorkflowRow
    workflow: model.Workflow
    rows: dict[str, JobRow]
    statuses: dict[str, str] = field(init=False)
    requirements: graph.Requirements = field(init=False)
    order: list[str] = field(init=False)
    approvals: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        self.statuses = {name: row.status for name, row in self.rows.items()}
        self.requirements = graph.requirements_of(self.workflow)
        self.order = [job.name for job in self.workflow.jobs if job.name in self.rows]
        self.approvals = frozenset(name for name, row in self.rows.items() if row.is_approval)

    @property
    def status(self) -> str:
        return graph.workflow_status(self.statuses)


class Scheduler:
    def __init__(self, ctx: RunContext, runs: list[WorkflowRun]) -> None:
        self.ctx = ctx
        self.runs = runs
        self.events: queue.Queue[tuple[WorkflowRun, str, JobOutcome]] = queue.Queue()
        self.in_flight: set[tuple[str, str]] = set()
        self._last_poll = 0.0
        self._reported: dict[str, str] = {}

    def run(self) -> None:
        with ThreadPoolExecutor(self.ctx.max_parallel, thread_name_prefix="job") as pool:
            try:
                self._loop(pool)
            finally:
                if self.ctx.cancel.is_set():
                    self._cancel_pending()
        self._record_workflows()

    def _loop(self, pool: ThreadPoolExecutor) -> None:
        self._report_workflows()
        while True:
            if not self.ctx.cancel.is_set():
                for run in self.runs:
                    self._advance(run, pool)
            self._report_workflows()
            if not self.in_flight:
                return
            try:
                event = self.events.get(timeout=POLL_SECONDS)
            except queue.Empty:
                self._poll_other_processes()
                continue
            self._ended(*event)
            while True:  # several jobs may have ended meanwhile: take them all at once
                try:
                    self._ended(*self.events.get_nowait())
                except queue.Empty:
                    break
            self._poll_other_processes()

    def _advance(self, run: WorkflowRun, pool: ThreadPoolExecutor) -> None:
        decision = graph.decide(run.order, run.requirements, run.statuses, run.approvals)
        store = self.ctx.store
        if decision.not_run:
            store.finish_jobs(
                (run.rows[name].build_num, NOT_RUN, why) for name, why in decision.not_run
            )
            for name, why in decision.not_run:
                run.statuses[name] = NOT_RUN
                self.ctx.reporter.job(run.row.name, name, NOT_RUN, why)
        for name in decision.hold:
            store.hold_job(run.rows[name].build_num)
            run.statuses[name] = ON_HOLD
            self.ctx.reporter.job(run.row.name, name, ON_HOLD, "waiting for approval")
        for name in decision.start:
            run.statuses[name] = RUNNING
            self.in_flight.add((run.row.id, name))
            runner = JobRunner(
                self.ctx, run.row, run.workflow.job(name), run.rows[name], self._layers(run, name)
            )
            pool.submit(self._work, run, name, runner)

    def _work(self, run: WorkflowRun, name: str, runner: JobRunner) -> None:
        if self.ctx.cancel.is_set():
            outcome = JobOutcome(CANCELED, "canceled before it started")
            self.ctx.store.finish_job(runner.build, CANCELED, outcome.message)
        else:
            try:
                outcome = runner.run()
            except BaseException as exc:  # never lose the event: the loop waits for it
                outcome = JobOutcome(FAILED, f"internal error: {exc!r}")
                self.ctx.store.finish_job(runner.build, FAILED, outcome.message)
        self.events.put((run, name, outcome))

    def _ended(self, run: WorkflowRun, name: str, outcome: JobOutcome) -> None:
        self.in_flight.discard((run.row.id, name))
        run.statuses[name] = outcome.status
        run.rows[name] = self.ctx.store.job(run.rows[name].build_num)

    def _layers(self, run: WorkflowRun, name: str) -> list[int]:
        """Workspace layers an attach in `name` sees: its upstream jobs', oldest first."""
        upstream = [run.rows[n] for n in graph.upstream_of(name, run.requirements) if n in run.rows]
        done = [row for row in upstream if row.status == SUCCESS and not row.is_approval]
        done.sort(key=lambda row: (row.stopped_at or 0.0, row.build_num))
        return [row.carried_from or row.build_num for row in done]

    def _poll_other_processes(self) -> None:
        now = time.monotonic()
        if now - self._last_poll < POLL_SECONDS:
            return
        self._last_poll = now
        pipeline = self.ctx.store.pipeline(self.ctx.number)
        if pipeline is not None and pipeline.cancel_requested:
            self.ctx.cancel.set()
        for run in self.runs:
            for name, status in list(run.statuses.items()):
                if status == ON_HOLD:
                    row = self.ctx.store.job(run.rows[name].build_num)
                    if row.status != ON_HOLD:
                        run.rows[name], run.statuses[name] = row, row.status
                        self.ctx.reporter.job(run.row.name, name, row.status, _approval(row))

    def _cancel_pending(self) -> None:
        store = self.ctx.store
        for run in self.runs:
            pending = [n for n, s in run.statuses.items() if s in (QUEUED, ON_HOLD)]
            store.finish_jobs((run.rows[n].build_num, CANCELED, "canceled") for n in pending)
            for name in pending:
                run.statuses[name] = CANCELED
                self.ctx.reporter.job(run.row.name, name, CANCELED, "canceled")

    def _report_workflows(self) -> None:
        for run in self.runs:
            status = run.status
            if self._reported.get(run.row.id) != status:
                self._reported[run.row.id] = status
                self.ctx.reporter.workflow(self.ctx.number, run.row.name, status)

    def _record_workflows(self) -> None:
        for run in self.runs:
            self.ctx.store.set_workflow_status(run.row.id, run.status)
            for name, status in run.statuses.items():
                build = run.rows[name].build_num
                if status == ON_HOLD:
                    self.ctx.held.add(build)
                else:
                    self.ctx.held.discard(build)
        self._report_workflows()


def _approval(row: JobRow) -> str | None:
    return f"approved by {row.approved_by}" if row.approved_by else None
