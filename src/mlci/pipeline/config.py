"""Loading a `.circleci/config.yml` into a validated Config, and compiling it into a Pipeline.

`load_config` reports every problem of the file at once (unknown keys, wrong types,
undefined jobs, commands, executors and parameters, bad regexes and expressions, `requires`
that name nothing or go round in a cycle), each with file:line:col; on success nothing in
the returned Config can fail for structural reasons. `Config.compile` then takes pipeline
values and parameters (those a continuation passes, say) and returns the frozen Pipeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mlci.pipeline import model
from mlci.pipeline.definitions import Definition, Namespace, OrbRef, WorkflowDefinition
from mlci.pipeline.errors import Location, Problems
from mlci.pipeline.namespaces import parse_namespace, validate_definitions
from mlci.pipeline.parameters import PIPELINE_TYPES, Parameter, parse_parameters
from mlci.pipeline.schema import check_map
from mlci.pipeline.steps import StepBuilder
from mlci.pipeline.substitution import Scope, substitute
from mlci.pipeline.values import PipelineValues
from mlci.pipeline.workflows import WorkflowCompiler
from mlci.pipeline.yaml_loader import YamlMap, load_yaml_file, load_yaml_text

SUPPORTED_VERSION = "2.1"


@dataclass(frozen=True)
class Config:
    """A validated config. The runner uses `compile`; the rest is for listing and planning."""

    file: str
    setup: bool
    parameters: Mapping[str, Parameter]
    orbs: Mapping[str, OrbRef]
    executors: Mapping[str, Definition]
    commands: Mapping[str, Definition]
    jobs: Mapping[str, Definition]
    workflows: Mapping[str, WorkflowDefinition]
    namespace: Namespace = field(compare=False, repr=False)
    raw: YamlMap = field(compare=False, repr=False)

    def compile(
        self, values: PipelineValues | None = None, arguments: Mapping[str, Any] | None = None
    ) -> model.Pipeline:
        """The pipeline for these values and parameters; ConfigError lists every problem."""
        problems = Problems()
        pipeline = _compile(self, values or PipelineValues(), arguments or {}, problems)
        problems.raise_if_any()
        return pipeline

    def check_parameters(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Declared pipeline parameters with `arguments` applied (as a continuation does)."""
        problems = Problems()
        resolved = resolve_pipeline_parameters(self, arguments, problems)
        problems.raise_if_any()
        return resolved


def load_config(path: Path, file_name: str | None = None) -> Config:
    """Load and validate a config file; `file_name` is how messages name it."""
    name = file_name or str(path)
    return config_from_yaml(load_yaml_file(path, name), name)


def load_config_text(text: str, file_name: str) -> Config:
    return config_from_yaml(load_yaml_text(text, file_name), file_name)


def config_from_yaml(raw: Any, file_name: str) -> Config:
    problems = Problems()
    if not check_map(raw, "config", (), Location(file_name, 1), problems):
        problems.raise_if_any()
    version = raw.get("version")
    if "version" in raw and str(version) != SUPPORTED_VERSION:
        problems.add(
            ("version",),
            f"mlci runs CircleCI {SUPPORTED_VERSION} configs, not version {version!r}",
            raw.value_location("version"),
        )
    namespace, orbs = parse_namespace(raw, "", file_name, problems)
    parameters = parse_parameters(
        raw.get("parameters"), ("parameters",), problems, types=PIPELINE_TYPES, lenient=False
    )
    for parameter in parameters.values():
        if not parameter.has_default:
            problems.add(
                ("parameters", parameter.name),
                "a pipeline parameter needs a default",
                parameter.location,
            )
    validate_definitions(namespace, problems)
    workflows = _workflow_definitions(raw.get("workflows"), problems)
    config = Config(
        file=file_name,
        setup=bool(raw.get("setup", False)),
        parameters=model.frozen_map(parameters),
        orbs=model.frozen_map(orbs),
        executors=model.frozen_map(namespace.executors),
        commands=model.frozen_map(namespace.commands),
        jobs=model.frozen_map(namespace.jobs),
        workflows=model.frozen_map(workflows),
        namespace=namespace,
        raw=raw,
    )
    # A trial compile with the parameters' defaults finds what only instantiation can:
    # arguments of the wrong type, `requires` naming no job, cycles. It runs even when the
    # definitions have problems, so that one run reports everything it can.
    _compile(config, PipelineValues(git_branch="main", git_revision="0" * 40), {}, problems)
    problems.raise_if_any()
    return config


def _workflow_definitions(node: Any, problems: Problems) -> dict[str, WorkflowDefinition]:
    workflows: dict[str, WorkflowDefinition] = {}
    if not isinstance(node, YamlMap):
        return workflows
    for name, body in node.items():
        if name == "version":  # CircleCI 2.0's `workflows: version: 2`, still accepted
            continue
        if not isinstance(body, YamlMap):
            problems.add(
                ("workflows", str(name)),
                "a workflow must be a map with jobs",
                node.value_location(name),
            )
            continue
        workflows[str(name)] = WorkflowDefinition(str(name), node.key_location(name), body)
    return workflows


def resolve_pipeline_parameters(
    config: Config, arguments: Mapping[str, Any], problems: Problems
) -> dict[str, Any]:
    """Defaults overridden by `arguments`; an undeclared argument is an error, as on CircleCI."""
    resolved = {name: parameter.default for name, parameter in config.parameters.items()}
    where = (
        config.raw.key_location("parameters")
        if "parameters" in config.raw
        else Location(config.file, 1)
    )
    for name, value in arguments.items():
        parameter = config.parameters.get(name)
        if parameter is None:
            declared = ", ".join(sorted(config.parameters)) or "none"
            problems.add(
                ("parameters",),
                f"pipeline parameter '{name}' is not declared in {config.file}"
                f" (declared: {declared}); CircleCI refuses such a continuation too",
                where,
            )
            continue
        problem = parameter.problem_with(value)
        if problem:
            problems.add(("parameters", name), f"value {value!r}: {problem}", parameter.location)
            continue
        resolved[name] = value
    return resolved


def _compile(
    config: Config, values: PipelineValues, arguments: Mapping[str, Any], problems: Problems
) -> model.Pipeline:
    parameters = resolve_pipeline_parameters(config, arguments, problems)
    environment = {
        **values.environment(),
        **{f"pipeline.parameters.{k}": v for k, v in parameters.items()},
    }
    scope = Scope(environment, ("pipeline.",))
    substituted = substitute(config.raw, scope, problems)
    namespace = _with_bodies(config.namespace, substituted)
    steps = StepBuilder(problems, environment)
    compiler = WorkflowCompiler(namespace, steps, values, environment)
    workflows = []
    raw_workflows = substituted.get("workflows")
    for name, definition in config.workflows.items():
        body = raw_workflows.get(name) if isinstance(raw_workflows, YamlMap) else None
        workflow = compiler.compile(name, body, definition.location)
        if workflow is not None:
            workflows.append(workflow)
    return model.Pipeline(
        config.file, config.setup, values, model.frozen_map(parameters), tuple(workflows)
    )


def _with_bodies(namespace: Namespace, substituted: YamlMap) -> Namespace:
    """The namespace with each definition's body replaced by its pipeline-substituted copy."""
    result = Namespace(namespace.key, namespace.file, namespace.native, orbs=namespace.orbs)
    for kind, section in (("executor", "executors"), ("command", "commands"), ("job", "jobs")):
        bodies = substituted.get(section)
        for name, definition in namespace.table(kind).items():
            body = bodies.get(name) if isinstance(bodies, YamlMap) else None
            new_body = body if isinstance(body, YamlMap) else definition.body
            result.table(kind)[name] = replace(definition, body=new_body, namespace=result)
    return result
