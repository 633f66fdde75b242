"""`mlci run`: check everything, create the numbered pipeline, then drive it to its end.

Everything that can be wrong with the request — not a repository, no such branch, a bad
`--param`, a config problem, an undeclared parameter — is found before the pipeline is
created, so a refused run leaves no trace in state. Then `drive` runs the setup workflow,
the continuation's workflows, and (when called again by approve or rerun) whatever is left:
it always resumes from the state rows, so one function serves every entry point.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from mlci.pipeline import checkout, model, run_history
from mlci.pipeline.config import Config, load_config_text
from mlci.pipeline.config_sources import (
    SETUP_DIR,
    load_stored,
    preflight,
    store_files,
    values_record,
)
from mlci.pipeline.errors import PipelineError
from mlci.pipeline.run_context import RunContext
from mlci.pipeline.scheduler import Scheduler, WorkflowRun
from mlci.pipeline.state import SUCCESS, NewPipeline, PipelineRow, Store
from mlci.pipeline.values import PipelineValues

DEFAULT_CONFIG = ".circleci/config.yml"


def parse_parameters(items: Sequence[str]) -> dict[str, Any]:
    """`--param name=value`: the value as JSON if it parses (true, 3, "x"), else the text."""
    parameters: dict[str, Any] = {}
    for item in items:
        name, equals, text = item.partition("=")
        if not equals or not name.strip():
            raise PipelineError(f"--param {item!r}: write it as name=value")
        try:
            value: Any = json.loads(text)
        except ValueError:
            value = text
        parameters[name.strip()] = value
    return parameters


class Prepared(NamedTuple):
    """A run that passed every check: what to store and run."""

    source: checkout.Source
    config_path: str
    config_text: str
    config: Config
    pipeline: model.Pipeline
    arguments: dict[str, Any]
    values: PipelineValues


def read_config(source: checkout.Source, config_path: str) -> tuple[str, str]:
    """(text, name) of the config at the pipeline's revision (or a file outside the repo)."""
    path = Path(config_path)
    if path.is_absolute() and source.root not in path.resolve().parents:
        try:
            return path.read_text(encoding="utf-8"), config_path
        except OSError as exc:
            raise PipelineError(f"cannot read {config_path}: {exc.strerror}") from None
    relative = os.path.relpath(path.resolve(), source.root) if path.is_absolute() else config_path
    text = checkout.read_file_at(source.root, source.revision, relative)
    if text is None:
        where = "the working tree" if source.working_tree else f"commit {source.revision[:12]}"
        hint = "" if source.working_tree else " (commit it, or run with --working-tree)"
        raise PipelineError(f"there is no {relative} in {where}{hint}")
    return text, relative


def prepare(
    directory: Path,
    *,
    branch: str | None = None,
    config_path: str = DEFAULT_CONFIG,
    parameters: Sequence[str] = (),
    working_tree: bool = False,
    number: int = 1,
) -> Prepared:
    """Every check a run needs, without writing anything (but a snapshot commit object)."""
    arguments = parse_parameters(parameters)
    root = checkout.find_root(directory)
    source = checkout.resolve_source(root, branch, working_tree)
    text, name = read_config(source, config_path)
    config = load_config_text(text, name)
    values = PipelineValues(
        number=number,
        id=str(uuid.uuid4()),
        git_branch=source.branch,
        git_revision=source.revision,
        git_branch_is_default=source.branch == "main" if source.branch else None,
        project_git_url=str(root),
    )
    pipeline = config.compile(values, arguments)
    preflight(pipeline)
    return Prepared(source, name, text, config, pipeline, arguments, values)


def create(store: Store, prepared: Prepared) -> tuple[PipelineRow, PipelineValues]:
    """Store the pipeline (numbered now) and a copy of its config."""
    source = prepared.source
    new = NewPipeline(
        id=prepared.values.id,
        branch=source.branch,
        tag=None,
        revision=source.revision,
        working_tree=source.working_tree,
        config_path=prepared.config_path,
        arguments=prepared.arguments,
    )

    def values_for(number: int) -> dict[str, Any]:
        return values_record(_numbered(prepared.values, number))

    row = store.create_pipeline(new, values_for)
    store_files(
        store.pipeline_dir(row.number), SETUP_DIR, [(prepared.config_text, prepared.config_path)]
    )
    return row, _numbered(prepared.values, row.number)


def _numbered(values: PipelineValues, number: int) -> PipelineValues:
    from dataclasses import replace

    return replace(values, number=number)


def setup_files(row: PipelineRow) -> list[list[str]]:
    return [[f"{SETUP_DIR}/0/{Path(row.config_path).name or 'config.yml'}", row.config_path]]


def compiled_config(ctx: RunContext) -> model.Pipeline:
    """The pipeline's own config, compiled as when it was created (from the stored copy,
    unless this process loaded it already)."""
    config = ctx.configs.get("setup") or load_stored(ctx.pipeline_dir, setup_files(ctx.pipeline))
    return config.compile(ctx.values, ctx.pipeline.arguments)


def continuation(ctx: RunContext) -> model.Pipeline | None:
    record = ctx.store.require_pipeline(ctx.number).continuation
    if record is None or record.get("finished"):
        return None
    if "main" in ctx.compiled:  # continued by this process: compiled already
        return ctx.compiled["main"]
    config = load_stored(ctx.pipeline_dir, record["files"])
    return config.compile(ctx.values, record["parameters"])


def workflow_runs(ctx: RunContext, pipeline: model.Pipeline, kind: str) -> list[WorkflowRun]:
    """The current attempts of the pipeline's `kind` workflows, created if there are none."""
    store = ctx.store
    existing = [w for w in store.workflows(ctx.number) if w.kind == kind]
    if not existing:
        for workflow in pipeline.running_workflows:
            jobs = [(job.name, job.type) for job in workflow.selected_jobs]
            if jobs:
                existing.append(store.create_workflow(ctx.number, workflow.name, kind, jobs))
        if kind == "main":
            store.mark_main_created(ctx.number)
    runs = []
    for row in existing:
        rows = {job.name: job for job in store.jobs(row.id)}
        runs.append(WorkflowRun(row, pipeline.workflow(row.name), rows))
    return runs


def drive(ctx: RunContext) -> None:
    """Run whatever the pipeline has left to run, from its state rows."""
    own = compiled_config(ctx)
    main = own
    if own.setup:
        setup_runs = workflow_runs(ctx, own, "setup")
        _schedule(ctx, setup_runs)
        if ctx.cancel.is_set() or any(run.status != SUCCESS for run in setup_runs):
            return
        row = ctx.store.require_pipeline(ctx.number)
        if row.continuation is None:
            ctx.store.set_error(
                ctx.number, "the setup workflow ended without continuing the pipeline"
            )
            return
        found = continuation(ctx)
        if found is None:  # continuation/finish
            ctx.store.mark_main_created(ctx.number)
            return
        main = found
    _schedule(ctx, workflow_runs(ctx, main, "main"))
    _record_success(ctx)


def _schedule(ctx: RunContext, runs: list[WorkflowRun]) -> None:
    if runs:
        Scheduler(ctx, runs).run()


def _record_success(ctx: RunContext) -> None:
    """On a fully successful pipeline, remember its revision for --since-last-run."""
    from mlci.pipeline.views import pipeline_view

    view = pipeline_view(ctx.store, ctx.number, details=False)
    row = view.row
    if view.status == SUCCESS and row.branch and not row.working_tree:
        run_history.record_successful_pipeline(ctx.root, row.branch, row.revision)
