"""`mlci plan`: what `mlci run` would do on this branch, and why, without running anything.

The setup config is compiled as a run would compile it; its native path-filtering and
continuation steps are evaluated (they only read git); the continuation is compiled with
the parameters they produce; and every workflow and job is listed with whether it would run
and why not. A setup job that generates its config with its own commands cannot be
foreseen without running it: the plan says so instead of guessing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlci.pipeline import checkout, model, run_history
from mlci.pipeline.changes import DEFAULT_CONFIG_PATH, ChangesResult, compute_changes
from mlci.pipeline.config_sources import config_from_texts
from mlci.pipeline.errors import PipelineError
from mlci.pipeline.mapping import parse_excludes, parse_mapping
from mlci.pipeline.pipeline_runner import DEFAULT_CONFIG, prepare
from mlci.pipeline.setup_run import expand_variables


@dataclass
class Plan:
    source: checkout.Source
    config_path: str
    setup: model.Pipeline
    changes: ChangesResult | None = None
    continuation_files: tuple[str, ...] = ()
    main: model.Pipeline | None = None
    notes: list[str] = field(default_factory=list)


def make_plan(
    directory: Path,
    *,
    branch: str | None = None,
    config_path: str = DEFAULT_CONFIG,
    parameters: Sequence[str] = (),
    working_tree: bool = False,
    since_last_run: bool = False,
) -> Plan:
    prepared = prepare(
        directory,
        branch=branch,
        config_path=config_path,
        parameters=parameters,
        working_tree=working_tree,
    )
    source, pipeline = prepared.source, prepared.pipeline
    plan = Plan(source, prepared.config_path, pipeline)
    if not pipeline.setup:
        plan.main = pipeline
        return plan
    steps = [
        step
        for workflow in pipeline.running_workflows
        for job in workflow.selected_jobs
        if job.job is not None
        for step in job.job.steps
    ]
    found = _continuation_inputs(plan, steps, since_last_run)
    if found is not None:
        arguments, files = found
        plan.continuation_files = files
        plan.main = _continuation(source, files, prepared.values, arguments)
    return plan


def _continuation_inputs(
    plan: Plan, steps: list[model.Step], since_last_run: bool
) -> tuple[dict[str, Any], tuple[str, ...]] | None:
    """The parameters and config files the setup would continue with, if foreseeable."""
    set_parameters = [s for s in steps if isinstance(s, model.SetParameters)]
    continues = [s for s in steps if isinstance(s, model.ContinuePipeline)]
    if not continues:
        plan.notes.append("the setup jobs do not continue with a native step: cannot foresee")
        return None
    if set_parameters:
        plan.changes = _changes(plan.source, set_parameters[0], since_last_run)
        return plan.changes.parameters, plan.changes.config_files
    if continues[0].parameters.strip().startswith("{"):
        return json.loads(continues[0].parameters), (continues[0].configuration_path,)
    plan.notes.append("the continuation's parameters come from a command: cannot foresee")
    return None


def _changes(
    source: checkout.Source, step: model.SetParameters, since_last_run: bool
) -> ChangesResult:
    base = expand_variables(step.base_revision, {"CIRCLE_BRANCH": source.branch or ""}) or "main"
    last = run_history.last_successful_revision(source.root, base) if since_last_run else None
    return compute_changes(
        source.root,
        base,
        parse_mapping(step.mapping, "mapping"),
        parse_excludes(step.exclude, "exclude") if step.exclude else (),
        head=source.revision,
        config_path=step.config_path or DEFAULT_CONFIG_PATH,
        last_run_revision=last,
    )


def _continuation(
    source: checkout.Source, files: tuple[str, ...], values: Any, arguments: dict[str, Any]
) -> model.Pipeline:
    texts = []
    for name in files:
        text = checkout.read_file_at(source.root, source.revision, name)
        if text is None:
            raise PipelineError(f"the continuation config {name} is not in {source.revision[:12]}")
        texts.append((text, name))
    return config_from_texts(texts).compile(values, arguments)


# --- output ---------------------------------------------------------------------------------


def _workflows(pipeline: model.Pipeline) -> list[dict[str, Any]]:
    return [
        {
            "name": workflow.name,
            "runs": workflow.runs,
            "skip_reason": workflow.skip_reason,
            "jobs": [
                {
                    "name": job.name,
                    "job": job.job_name,
                    "type": job.type,
                    "runs": workflow.runs and job.selected,
                    "skip_reason": job.skip_reason,
                    "requires": [r.name for r in job.requires],
                }
                for job in workflow.jobs
            ],
        }
        for workflow in pipeline.workflows
    ]


def plan_json(plan: Plan) -> dict[str, Any]:
    changes = plan.changes
    return {
        "branch": plan.source.branch,
        "revision": plan.source.revision,
        "working_tree": plan.source.working_tree,
        "config_path": plan.config_path,
        "setup": _workflows(plan.setup) if plan.setup.setup else None,
        "changes": None
        if changes is None
        else {
            "base": changes.comparison.base,
            "head": changes.comparison.head,
            "reason": changes.comparison.reason,
            "note": changes.comparison.note,
            "files": list(changes.considered),
            "excluded": [path for path, _ in changes.excluded],
            "parameters": changes.parameters,
            "sources": {
                name: {"line": str(m.rule.location), "path": m.path}
                for name, m in changes.parameter_sources.items()
            },
        },
        "continuation": list(plan.continuation_files) if plan.continuation_files else None,
        "parameters": dict(plan.main.parameters) if plan.main else None,
        "workflows": _workflows(plan.main) if plan.main else [],
        "notes": plan.notes,
    }


def plan_lines(plan: Plan) -> list[str]:
    source = plan.source
    tree = " (working tree)" if source.working_tree else ""
    lines = [f"Plan for {source.branch} at {source.revision[:12]}{tree}, {plan.config_path}"]
    if plan.changes is not None:
        changes = plan.changes
        lines.append(f"  {changes.comparison.describe()}")
        lines.append(f"  changed files: {len(changes.considered)}")
        lines.extend(f"    {path}" for path in changes.considered[:20])
        if len(changes.considered) > 20:
            lines.append(f"    … and {len(changes.considered) - 20} more")
        for name, match in changes.parameter_sources.items():
            lines.append(f"  sets {name} = {changes.parameters[name]!r} ({match.path})")
        if not changes.parameters:
            lines.append("  sets no parameter")
    if plan.continuation_files:
        lines.append(f"  continues with {', '.join(plan.continuation_files)}")
    for workflow in _workflows(plan.main) if plan.main else []:
        state = "runs" if workflow["runs"] else f"skipped ({workflow['skip_reason']})"
        lines.append(f"  workflow {workflow['name']}: {state}")
        if not workflow["runs"]:
            continue
        for job in workflow["jobs"]:
            detail = "runs" if job["runs"] else f"skipped: {job['skip_reason']}"
            kind = " (approval)" if job["type"] == "approval" else ""
            lines.append(f"    {job['name']}{kind}: {detail}")
    lines.extend(f"  note: {note}" for note in plan.notes)
    return lines
