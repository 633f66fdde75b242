"""Running one job: its sandbox, environment and steps, in order, as CircleCI decides them.

A step runs when its `when` agrees with how the job is going: `on_success` (the default, and
the only choice for steps other than `run`) only while nothing has failed, `on_fail` only
after something has, `always` either way. The first failing step fails the job; the job
still runs its `on_fail`/`always` steps. A stop (Ctrl-C, SIGTERM, `mlci cancel`) ends the
running step and runs nothing more.
"""

from __future__ import annotations

import os
import time
import traceback
from typing import NamedTuple

from mlci.pipeline import checkout, model
from mlci.pipeline.cloud_env import AwsEnvironment
from mlci.pipeline.durations import DEFAULT_NO_OUTPUT_TIMEOUT, parse_duration
from mlci.pipeline.environment import (
    JobIdentity,
    Masker,
    builtin_variables,
    layered,
    session_environment,
)
from mlci.pipeline.errors import PipelineError
from mlci.pipeline.joblog import JobLog
from mlci.pipeline.run_context import RunContext
from mlci.pipeline.sandbox import Sandbox
from mlci.pipeline.setup_run import NativeSteps
from mlci.pipeline.state import CANCELED, FAILED, SUCCESS, JobRow, WorkflowRow
from mlci.pipeline.steps_exec import (
    TIMEDOUT,
    BackgroundStep,
    CommandSpec,
    ProcessGroups,
    StepOutcome,
    run_foreground,
    shell_command,
)
from mlci.pipeline.venvs import JobVenv, executor_key

STEP_NAMES = {
    model.Checkout: "Checkout code",
    model.PersistToWorkspace: "Persisting to Workspace",
    model.AttachWorkspace: "Attaching Workspace",
    model.StoreArtifacts: "Uploading artifacts",
    model.StoreTestResults: "Uploading test results",
    model.SetParameters: "Set parameters from the changed files",
    model.GenerateConfig: "Generate the continuation config",
    model.ContinuePipeline: "Continue the pipeline",
    model.FinishPipeline: "Finish the pipeline",
}


def step_name(step: model.Step) -> str:
    return step.name if isinstance(step, model.Run) else STEP_NAMES[type(step)]


def step_when(step: model.Step) -> str:
    if isinstance(step, model.Run | model.ContinuePipeline):
        return step.when
    return "on_success"


class JobOutcome(NamedTuple):
    status: str
    message: str | None = None


class JobRunner:
    def __init__(
        self,
        ctx: RunContext,
        workflow: WorkflowRow,
        workflow_job: model.WorkflowJob,
        row: JobRow,
        upstream_layers: list[int],
    ) -> None:
        if workflow_job.job is None:
            raise PipelineError(f"{workflow_job.name} is an approval, not a job to run")
        self.ctx = ctx
        self.workflow = workflow
        self.workflow_job = workflow_job
        self.job: model.Job = workflow_job.job
        self.row = row
        self.upstream_layers = upstream_layers
        self.build = row.build_num
        self.groups = ProcessGroups(self._groups_changed)
        # A run step is recorded as started together with its process (one transaction).
        self._pending_step: tuple[int, str, bool] | None = None
        self.backgrounds: list[BackgroundStep] = []
        self.venv: JobVenv | None = None

    def _groups_changed(self, groups: list[list[object]]) -> None:
        pending, self._pending_step = self._pending_step, None
        if pending is None:
            self.ctx.store.set_process_groups(self.build, groups)
        else:
            self.ctx.store.start_step(self.build, *pending, process_groups=groups)

    def _record_pending_step(self) -> None:
        pending, self._pending_step = self._pending_step, None
        if pending is not None:  # its process never started
            self.ctx.store.start_step(self.build, *pending)

    def run(self) -> JobOutcome:
        ctx = self.ctx
        ctx.store.start_job(self.build)
        ctx.reporter.job(self.workflow.name, self.workflow_job.name, "running")
        log: JobLog | None = None
        try:
            aws = ctx.aws.get() if self._runs_commands() else None
            contexts = [ctx.secrets.context(name) for name in self.workflow_job.context]
            masker = ctx.secrets.masker.with_secrets(aws.secrets if aws else ())
            log = JobLog(ctx.log_path(self.build), masker)
            outcome = self._execute(log, aws, contexts, masker)
        except PipelineError as exc:
            if log is not None:
                log.line(str(exc))
            outcome = JobOutcome(FAILED, ctx.secrets.masker.mask(str(exc)))
        except Exception as exc:  # a bug of ours: fail this job, keep the pipeline going
            if log is not None:
                log.line(traceback.format_exc())
            outcome = JobOutcome(FAILED, f"internal error: {type(exc).__name__}: {exc}")
        finally:
            self.groups.stop_all()
            if log is not None:
                log.close()
        ctx.store.finish_job(self.build, outcome.status, outcome.message)
        ctx.reporter.job(
            self.workflow.name, self.workflow_job.name, outcome.status, outcome.message
        )
        return outcome

    def _runs_commands(self) -> bool:
        return any(isinstance(step, model.Run) for step in self.job.steps)

    def _only_native(self) -> bool:
        """True for jobs like path-filtering/filter: a plain checkout, then native steps
        only. Nothing there needs a work tree, so the checkout reads the commit instead of
        cloning it (the native steps read their files through git)."""
        kinds = (model.Checkout, *model.NATIVE_STEPS)
        checkouts = [s for s in self.job.steps if isinstance(s, model.Checkout)]
        plain = bool(checkouts) and all(s.path is None for s in checkouts)
        return plain and all(isinstance(step, kinds) for step in self.job.steps)

    def _execute(
        self,
        log: JobLog,
        aws: AwsEnvironment | None,
        contexts: list[dict[str, str]],
        masker: Masker,
    ) -> JobOutcome:
        sandbox = Sandbox.create(
            self.ctx.pipeline_dir / "jobs" / str(self.build), self.job.working_directory
        )
        environment = self._environment(sandbox, aws, contexts)
        log.line(f"Job {self.workflow_job.name} (build {self.build}) on executor {self._label()}")
        if aws is not None:
            log.line(aws.source)
        native = NativeSteps(self.ctx, sandbox, log, environment, self._only_native())
        failure: StepOutcome | None = None
        for number, step in enumerate(self.job.steps, start=1):
            if self.ctx.cancel.is_set():
                return JobOutcome(CANCELED, "canceled")
            when = step_when(step)
            if (when == "on_success" and failure) or (when == "on_fail" and not failure):
                continue
            outcome = self._step(number, step, sandbox, environment, log, native)
            if outcome.status == CANCELED:
                return JobOutcome(CANCELED, "canceled")
            if outcome.status != SUCCESS and failure is None:
                failure = outcome
        self._stop_backgrounds(log)
        if failure is not None:
            log.line(f"Job failed; its files are kept in {sandbox.root}")
            return JobOutcome(FAILED, failure.message)
        if self.venv is not None:
            self._promote(log)
        self.ctx.trash.discard(sandbox.root)
        return JobOutcome(SUCCESS)

    def _label(self) -> str:
        executor = self.job.executor
        image = executor.image
        where = f" ({executor.kind} image {image}: recorded, not pulled)" if image else ""
        return f"{executor.name or executor.kind}{where}"

    def _environment(
        self, sandbox: Sandbox, aws: AwsEnvironment | None, contexts: list[dict[str, str]]
    ) -> dict[str, str]:
        ctx, pipeline = self.ctx, self.ctx.pipeline
        identity = JobIdentity(
            branch=pipeline.branch,
            tag=pipeline.tag,
            revision=pipeline.revision,
            build_num=self.build,
            job_name=self.workflow_job.name,
            workflow_id=self.workflow.id,
            workflow_job_id=self.row.id,
            pipeline_number=pipeline.number,
            repository_url=str(ctx.root),
            project_name=ctx.root.name,
            username=ctx.username,
            working_directory=str(sandbox.working_directory),
        )
        executor = self.job.executor
        image_env = executor.images[0].environment if executor.images else {}
        runner = {"TMPDIR": str(sandbox.tmp), "BASH_ENV": str(sandbox.root / "bash_env")}
        (sandbox.root / "bash_env").touch()
        return layered(
            session_environment(os.environ, real_aws=aws is None or aws.real),
            ctx.secrets.project,
            *contexts,
            aws.variables if aws else {},
            builtin_variables(identity),
            runner,
            image_env,
            executor.environment,
            self.job.environment,
        )

    def _step(
        self,
        number: int,
        step: model.Step,
        sandbox: Sandbox,
        environment: dict[str, str],
        log: JobLog,
        native: NativeSteps,
    ) -> StepOutcome:
        name = log.masker.mask(step_name(step))  # a name may quote a command
        background = isinstance(step, model.Run) and step.background
        store, reporter = self.ctx.store, self.ctx.reporter
        if isinstance(step, model.Run):
            self._pending_step = (number, name, background)
        else:
            store.start_step(self.build, number, name, background)
        reporter.step(self.workflow.name, self.workflow_job.name, number, name, "running", None)
        log.step_started(number, name)
        started = time.monotonic()
        try:
            outcome = self._dispatch(number, step, sandbox, environment, log, native)
        except PipelineError as exc:
            log.line(str(exc))
            outcome = StepOutcome(FAILED, None, str(exc))
        self._record_pending_step()
        seconds = time.monotonic() - started
        shown = "running in the background" if background and outcome.status == SUCCESS else None
        log.step_finished(number, shown or _describe(outcome, seconds))
        message = log.masker.mask(outcome.message) if outcome.message else None
        if not (background and outcome.status == SUCCESS):
            store.finish_step(self.build, number, outcome.status, outcome.exit_code, message)
        reporter.step(
            self.workflow.name, self.workflow_job.name, number, name, outcome.status, seconds
        )
        return outcome

    def _dispatch(
        self,
        number: int,
        step: model.Step,
        sandbox: Sandbox,
        environment: dict[str, str],
        log: JobLog,
        native: NativeSteps,
    ) -> StepOutcome:
        if isinstance(step, model.Run):
            return self._run(number, step, sandbox, environment, log)
        if isinstance(step, model.Checkout):
            return self._checkout(step, sandbox, log)
        if isinstance(step, model.PersistToWorkspace):
            root = sandbox.existing(step.root)
            copied = self.ctx.workspaces.persist(self.build, root, step.paths)
            log.line(f"Persisted {len(copied)} path(s) from {step.root}: {', '.join(copied)}")
            return StepOutcome(SUCCESS, 0)
        if isinstance(step, model.AttachWorkspace):
            count = self.ctx.workspaces.attach(self.upstream_layers, sandbox.map(step.at))
            log.line(f"Attached {count} workspace layer(s) at {step.at}")
            return StepOutcome(SUCCESS, 0)
        if isinstance(step, model.StoreArtifacts | model.StoreTestResults):
            return self._store(step, sandbox, log)
        return native.run(step)

    def _checkout(self, step: model.Checkout, sandbox: Sandbox, log: JobLog) -> StepOutcome:
        target = sandbox.map(step.path) if step.path else sandbox.working_directory
        pipeline = self.ctx.pipeline
        note = " (working tree snapshot)" if pipeline.working_tree else ""
        if self._only_native():
            log.line(
                f"Checked out {pipeline.revision[:12]}{note} on {pipeline.branch or '-'}"
                " (read from the commit: only native steps follow)"
            )
            return StepOutcome(SUCCESS, 0)
        checkout.checkout(self.ctx.root, pipeline.revision, pipeline.branch, target)
        log.line(f"Checked out {pipeline.revision[:12]}{note} on {pipeline.branch or '-'}")
        return StepOutcome(SUCCESS, 0)

    def _store(
        self, step: model.StoreArtifacts | model.StoreTestResults, sandbox: Sandbox, log: JobLog
    ) -> StepOutcome:
        kind = "artifacts" if isinstance(step, model.StoreArtifacts) else "test-results"
        destination = getattr(step, "destination", None) or step.path.lstrip("~/")
        source = sandbox.existing(step.path)
        stored = self.ctx.workspaces.store(kind, self.build, source, destination)
        if not stored:
            log.line(f"No files found at {step.path}")
        for path, size in stored:
            self.ctx.store.add_artifact(self.build, kind, path, size)
            log.line(f"Stored {path} ({size} bytes)")
        return StepOutcome(SUCCESS, 0)

    def _run(
        self, number: int, step: model.Run, sandbox: Sandbox, env: dict[str, str], log: JobLog
    ) -> StepOutcome:
        if self.venv is None:
            key = executor_key(self.job.executor.image, self.job.executor.kind)
            self.venv = self.ctx.venvs.layer(key, sandbox.root / "venv")
        cwd = sandbox.map(step.working_directory) if step.working_directory else None
        cwd = cwd or sandbox.working_directory
        cwd.mkdir(parents=True, exist_ok=True)
        script = sandbox.root / f"step-{number}.sh"
        script.write_text(step.command, encoding="utf-8")
        argv = shell_command(step.shell or self.job.shell, script)
        for line in [f"#!{' '.join(argv[:-1])}", *step.command.rstrip("\n").splitlines()]:
            log.line(line)
        venv_env = self.venv.environment(env.get("PATH", os.defpath))
        timeout = (
            parse_duration(step.no_output_timeout)
            if step.no_output_timeout
            else DEFAULT_NO_OUTPUT_TIMEOUT
        )
        spec = CommandSpec(argv, cwd, layered(env, venv_env, step.environment), timeout)
        if step.background:
            self.backgrounds.append(BackgroundStep(number, step.name, spec, log, self.groups))
            return StepOutcome(SUCCESS, None)
        return run_foreground(spec, log, self.ctx.cancel, self.groups)

    def _stop_backgrounds(self, log: JobLog) -> None:
        for background in self.backgrounds:
            outcome = background.stop()
            log.line(
                f"Background step [{background.number}] {background.name}: "
                + _describe(outcome, None)
            )
            self.ctx.store.finish_step(
                self.build, background.number, outcome.status, outcome.exit_code, outcome.message
            )
        self.backgrounds.clear()

    def _promote(self, log: JobLog) -> None:
        assert self.venv is not None
        key = executor_key(self.job.executor.image, self.job.executor.kind)
        moved = self.ctx.venvs.promote(self.venv, key)
        if moved:
            log.line(f"Cached in the executor's environment: {', '.join(moved)}")


def _describe(outcome: StepOutcome, seconds: float | None) -> str:
    took = f", {seconds:.2f}s" if seconds is not None else ""
    if outcome.status == SUCCESS:
        return f"success (exit {outcome.exit_code if outcome.exit_code is not None else 0}{took})"
    if outcome.status == TIMEDOUT:
        return f"timed out: {outcome.message}{took}"
    detail = outcome.message or f"exit {outcome.exit_code}"
    return f"{outcome.status}: {detail}{took}"
