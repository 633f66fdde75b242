"""Compiling one workflow: its condition, its job entries, and the graph `requires` makes.

The graph is checked before anything runs: every `requires` names a job of the workflow (or
a matrix alias, which stands for all of its instances), and no chain of requirements comes
back to where it started. A job runs only if its filters admit the pipeline's branch or tag
and every job it requires runs too (as on CircleCI, where a filtered-out upstream job takes
its dependents with it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from mlci.pipeline import model
from mlci.pipeline.conditions import parse_condition
from mlci.pipeline.definitions import Namespace
from mlci.pipeline.errors import Location, Problems
from mlci.pipeline.expressions import ExpressionError
from mlci.pipeline.jobs import instantiate_job
from mlci.pipeline.schema import WORKFLOW_JOB_OPTIONS, check_map, child, item, items_of
from mlci.pipeline.steps import StepBuilder
from mlci.pipeline.substitution import Scope, substitute
from mlci.pipeline.values import PipelineValues
from mlci.pipeline.workflow_jobs import (
    context_names,
    expand_matrix,
    matrix_job_name,
    parse_filters,
    parse_requires,
)
from mlci.pipeline.yaml_loader import YamlMap

Path = tuple[str, ...]


@dataclass
class _Entry:
    """A workflow job before the graph is known: the job plus where each requirement was."""

    job: model.WorkflowJob
    alias: str
    requirement_locations: list[Location] = field(default_factory=list)


def _part(options: YamlMap, key: str, path: Path) -> tuple[Any, Path, Location]:
    """(value, path, location) of one option, the three things every parser takes."""
    return options.get(key), child(path, key), options.value_location(key)


def _job_arguments(options: YamlMap, matrix: dict[str, Any]) -> YamlMap:
    """The entry's keys that are not workflow options, plus the matrix values: job arguments."""
    arguments = YamlMap(options.location)
    for key, value in options.items():
        if key not in WORKFLOW_JOB_OPTIONS:
            arguments.put(key, value, options.key_location(key), options.value_location(key))
    matrix_at = options.value_location("matrix")
    for key, value in matrix.items():
        arguments.put(key, value, matrix_at, matrix_at)
    return arguments


@dataclass
class WorkflowCompiler:
    namespace: Namespace
    steps: StepBuilder
    values: PipelineValues
    environment: Mapping[str, Any]

    @property
    def problems(self) -> Problems:
        return self.steps.problems

    def compile(self, name: str, node: Any, at: Location) -> model.Workflow | None:
        path = ("workflows", name)
        if not check_map(node, "workflow", path, at, self.problems):
            return None
        runs, reason = self.decide(node, path)
        entries: list[_Entry] = []
        for index, entry, where in items_of(node.get("jobs")):
            entries.extend(self.entry(entry, item(child(path, "jobs"), index), where))
        ordered = self.graph(entries, path)
        return model.Workflow(name, node.location, tuple(ordered), runs, reason)

    def decide(self, node: YamlMap, path: Path) -> tuple[bool, str | None]:
        """(runs, why not) from the workflow's `when` and `unless`."""
        for key, wanted in (("when", True), ("unless", False)):
            if key not in node:
                continue
            condition = parse_condition(
                node[key], child(path, key), node.value_location(key), self.problems
            )
            if condition is None:
                return False, f"{key} is invalid"
            try:
                if condition.evaluate(self.environment) != wanted:
                    return False, f"{key}: condition is {'false' if wanted else 'true'}"
            except ExpressionError as exc:
                self.problems.add(
                    child(path, key), f"cannot evaluate: {exc}", node.value_location(key)
                )
                return False, f"{key} cannot be evaluated"
        return True, None

    def entry(self, entry: Any, path: Path, at: Location) -> list[_Entry]:
        """The workflow jobs one entry stands for (several, for a matrix)."""
        split = self.split_entry(entry, path, at)
        if split is None:
            return []
        job_ref, options = split
        here = child(path, job_ref)
        allowed = WORKFLOW_JOB_OPTIONS
        if not check_map(
            options, allowed, here, options.location, self.problems, lenient=True, open_keys=True
        ):
            return []
        if "matrix" not in options:
            final = substitute(options, Scope({}, (), final=True), self.problems, here)
            return [self.instance(job_ref, job_ref, final, {}, here, at)]
        matrix, matrix_path, matrix_at = _part(options, "matrix", here)
        alias = str((matrix.get("alias") if isinstance(matrix, YamlMap) else None) or job_ref)
        instances = []
        for combination in expand_matrix(matrix, matrix_path, matrix_at, self.problems):
            values = {f"matrix.{key}": value for key, value in combination.items()}
            final = substitute(
                options, Scope(values, ("matrix.",), final=True), self.problems, here
            )
            instances.append(self.instance(job_ref, alias, final, combination, here, at))
        return instances

    def split_entry(self, entry: Any, path: Path, at: Location) -> tuple[str, YamlMap] | None:
        """(job reference, options) of `- job` or `- job: {options}`."""
        if isinstance(entry, str):
            return entry, YamlMap(at)
        if not (isinstance(entry, YamlMap) and len(entry) == 1):
            self.problems.add(
                path, "a workflow job is a job name or a one-key map {job: options}", at
            )
            return None
        job_ref, raw = next(iter(entry.items()))
        if isinstance(raw, YamlMap):
            return str(job_ref), raw
        if raw is not None:
            where = entry.value_location(job_ref)
            self.problems.add(child(path, str(job_ref)), "job options must be a map", where)
        return str(job_ref), YamlMap(entry.value_location(job_ref))

    def instance(
        self,
        job_ref: str,
        alias: str,
        options: YamlMap,
        matrix: dict[str, Any],
        path: Path,
        at: Location,
    ) -> _Entry:
        """One workflow job, from its fully substituted options."""
        problems = self.problems
        kind = options.get("type", "build")
        name = str(options.get("name") or (matrix_job_name(job_ref, matrix) if matrix else job_ref))
        arguments = _job_arguments(options, matrix)
        job = None
        if kind == "build":
            job = self.build_job(job_ref, arguments, options, path, at)
        elif kind == "approval":
            for key in arguments:
                problems.add(
                    path,
                    f"an approval job takes no parameters, not '{key}'",
                    arguments.key_location(key),
                )
        else:
            where = options.value_location("type")
            problems.add(
                child(path, "type"), f"a job type is approval (or build), not {kind!r}", where
            )
        requirements = parse_requires(*_part(options, "requires", path), problems)
        filters = (
            parse_filters(*_part(options, "filters", path), problems)
            if "filters" in options
            else None
        )
        workflow_job = model.WorkflowJob(
            name=name,
            job_name=job_ref,
            location=at,
            type=str(kind),
            job=job,
            requires=tuple(requirement for requirement, _ in requirements),
            context=context_names(*_part(options, "context", path), problems),
            filters=filters,
            matrix=model.frozen_map(matrix),
        )
        return _Entry(workflow_job, alias, [where for _, where in requirements])

    def build_job(
        self,
        job_ref: str,
        arguments: YamlMap,
        options: YamlMap,
        path: Path,
        at: Location,
    ) -> model.Job | None:
        definition = self.namespace.resolve("job", job_ref)
        if definition is None:
            known = ", ".join(self.namespace.names("job")) or "none are defined"
            self.problems.add(
                path, f"unknown job '{job_ref}' (jobs: {known}; or add type: approval)", at
            )
            return None
        return instantiate_job(
            definition,
            job_ref,
            arguments,
            path,
            at,
            self.steps,
            pre_steps=options.get("pre-steps"),
            post_steps=options.get("post-steps"),
            entry_namespace=self.namespace,
        )

    def graph(self, entries: list[_Entry], path: Path) -> list[model.WorkflowJob]:
        by_name: dict[str, _Entry] = {}
        for entry in entries:
            if entry.job.name in by_name:
                self.problems.add(
                    path,
                    f"two jobs are named '{entry.job.name}' (give one another name with name:)",
                    entry.job.location,
                )
            by_name[entry.job.name] = entry
        aliases: dict[str, list[str]] = {}
        for entry in entries:
            aliases.setdefault(entry.alias, []).append(entry.job.name)
        upstream: dict[str, list[str]] = {}
        for entry in entries:
            names: list[str] = []
            for requirement, where in zip(
                entry.job.requires, entry.requirement_locations, strict=True
            ):
                targets = (
                    [requirement.name]
                    if requirement.name in by_name
                    else aliases.get(requirement.name, [])
                )
                if not targets:
                    label = (*path, "jobs", entry.job.name, "requires")
                    known = ", ".join(sorted(by_name))
                    message = f"unknown job '{requirement.name}' (jobs of this workflow: {known})"
                    self.problems.add(label, message, where)
                names.extend(targets)
            upstream[entry.job.name] = names
        order = self.topological(upstream, by_name, path)
        return self.select(order, by_name, upstream, path)

    def topological(
        self, upstream: dict[str, list[str]], by_name: dict[str, _Entry], path: Path
    ) -> list[str]:
        order: list[str] = []
        state: dict[str, str] = {}  # "visiting" or "done"

        def visit(name: str, trail: list[str]) -> None:
            if state.get(name) == "done":
                return
            if state.get(name) == "visiting":
                cycle = " → ".join([*trail[trail.index(name) :], name])
                self.problems.add(
                    (*path, "jobs"), f"requires form a cycle: {cycle}", by_name[name].job.location
                )
                return
            state[name] = "visiting"
            for dependency in upstream.get(name, []):
                visit(dependency, [*trail, name])
            state[name] = "done"
            order.append(name)

        for name in by_name:
            visit(name, [])
        return order

    def select(
        self,
        order: list[str],
        by_name: dict[str, _Entry],
        upstream: dict[str, list[str]],
        path: Path,
    ) -> list[model.WorkflowJob]:
        selected: dict[str, bool] = {}
        result = []
        for name in order:
            job = by_name[name].job
            reason = self.filter_reason(job, (*path, "jobs", name, "filters"))
            if reason is None:
                blocked = [dep for dep in upstream.get(name, []) if not selected.get(dep, False)]
                if blocked:
                    reason = f"requires {', '.join(blocked)}, which does not run"
            selected[name] = reason is None
            result.append(replace(job, selected=reason is None, skip_reason=reason))
        return result

    def filter_reason(self, job: model.WorkflowJob, path: Path) -> str | None:
        filters = job.filters
        branch, tag = self.values.git_branch, self.values.git_tag
        if filters is None:
            return "tag pipelines run only jobs with a tags filter" if tag is not None else None
        try:
            if filters.allows(branch, tag, self.environment):
                return None
        except ExpressionError as exc:
            self.problems.add(path, f"cannot evaluate: {exc}", filters.location)
        ref = f"tag {tag}" if tag is not None else f"branch {branch or '(none)'}"
        return f"filtered out on {ref}"
