"""The compiled pipeline: frozen value objects the runner executes. No raw YAML in here.

`Config.compile(values, arguments)` (pipeline/config.py) produces a `Pipeline`: every
`<< … >>` substituted, every matrix expanded, every command and orb step inlined, every
`when`/`unless` step and workflow condition decided, and every job's filters evaluated.
What is left for the runner is to schedule `WorkflowJob`s by `requires`, run their `Job`'s
steps in order, hold at approvals, and execute the native orb steps (`SetParameters`,
`GenerateConfig`, `ContinuePipeline`, `FinishPipeline`) itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from mlci.pipeline.errors import Location
from mlci.pipeline.expressions import Expression
from mlci.pipeline.values import PipelineValues

DEFAULT_WORKING_DIRECTORY = "~/project"
EMPTY: Mapping[str, Any] = MappingProxyType({})


def frozen_map(values: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    return MappingProxyType(dict(values or {}))


def _empty() -> Mapping[str, Any]:
    return EMPTY


def empty_map() -> Any:
    """A dataclass field defaulting to the shared read-only empty mapping."""
    return field(default_factory=_empty)


# --- executors ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DockerImage:
    """A docker image of an executor; recorded, never pulled."""

    image: str
    name: str | None = None
    environment: Mapping[str, str] = empty_map()
    entrypoint: tuple[str, ...] = ()
    command: tuple[str, ...] = ()
    user: str | None = None


@dataclass(frozen=True)
class Executor:
    kind: str  # "docker" or "machine"
    images: tuple[DockerImage, ...] = ()
    machine_image: str | None = None
    resource_class: str | None = None
    shell: str | None = None
    working_directory: str | None = None
    environment: Mapping[str, str] = empty_map()
    name: str | None = None  # the named executor it came from, if any

    @property
    def image(self) -> str | None:
        """The primary image (the one steps run in on CircleCI)."""
        return self.images[0].image if self.images else self.machine_image


# --- steps -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkout:
    location: Location
    path: str | None = None  # default: the job's working directory


@dataclass(frozen=True)
class Run:
    command: str
    name: str
    location: Location
    shell: str | None = None
    environment: Mapping[str, str] = empty_map()
    background: bool = False
    working_directory: str | None = None
    no_output_timeout: str | None = None  # CircleCI duration, e.g. "10m"; None: the default
    when: str = "on_success"  # on_success, on_fail or always


@dataclass(frozen=True)
class PersistToWorkspace:
    root: str
    paths: tuple[str, ...]
    location: Location


@dataclass(frozen=True)
class AttachWorkspace:
    at: str
    location: Location


@dataclass(frozen=True)
class StoreArtifacts:
    path: str
    location: Location
    destination: str | None = None


@dataclass(frozen=True)
class StoreTestResults:
    path: str
    location: Location


@dataclass(frozen=True)
class SetParameters:
    """path-filtering/set-parameters: write the parameters JSON and the config list."""

    base_revision: str
    mapping: str
    exclude: str
    output_path: str
    config_path: str
    config_list_path: str
    location: Location


@dataclass(frozen=True)
class GenerateConfig:
    """path-filtering/generate-config: merge the listed config files into one."""

    config_list_path: str
    generated_config_path: str
    location: Location


@dataclass(frozen=True)
class ContinuePipeline:
    """continuation/continue: continue the setup pipeline with a config and parameters."""

    configuration_path: str
    parameters: str  # a JSON object, or a path to a file holding one
    location: Location
    when: str = "on_success"


@dataclass(frozen=True)
class FinishPipeline:
    """continuation/finish: end the setup pipeline without continuing it."""

    location: Location


Step = (
    Checkout
    | Run
    | PersistToWorkspace
    | AttachWorkspace
    | StoreArtifacts
    | StoreTestResults
    | SetParameters
    | GenerateConfig
    | ContinuePipeline
    | FinishPipeline
)
NATIVE_STEPS = (SetParameters, GenerateConfig, ContinuePipeline, FinishPipeline)


# --- jobs and workflows ------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """A job ready to run: its executor, environment and concrete steps."""

    name: str  # the job definition's name, e.g. "path-filtering/filter"
    executor: Executor
    steps: tuple[Step, ...]
    location: Location
    environment: Mapping[str, str] = empty_map()  # the job's own, over the executor's
    working_directory: str = DEFAULT_WORKING_DIRECTORY
    shell: str | None = None
    resource_class: str | None = None
    parallelism: int = 1
    parameters: Mapping[str, Any] = empty_map()  # the arguments it was instantiated with


@dataclass(frozen=True)
class FilterPattern:
    """A branch or tag name, or `/regex/` (which must match the whole name)."""

    text: str
    regex: re.Pattern[str] | None = None

    def matches(self, name: str) -> bool:
        if self.regex is not None:
            return self.regex.fullmatch(name) is not None
        return name == self.text


@dataclass(frozen=True)
class RefFilter:
    only: tuple[FilterPattern, ...] = ()
    ignore: tuple[FilterPattern, ...] = ()

    def allows(self, name: str) -> bool:
        if self.only and not any(p.matches(name) for p in self.only):
            return False
        return not any(p.matches(name) for p in self.ignore)


@dataclass(frozen=True)
class Filters:
    """Job filters: branch/tag maps, or an expression over pipeline values."""

    location: Location
    branches: RefFilter | None = None
    tags: RefFilter | None = None
    expression: Expression | None = None

    def allows(self, branch: str | None, tag: str | None, environment: Mapping[str, Any]) -> bool:
        if self.expression is not None:
            return self.expression.is_true(environment)
        if tag is not None:
            # CircleCI runs nothing for a tag unless the job has a tags filter admitting it.
            return self.tags is not None and self.tags.allows(tag)
        return self.branches is None or self.branches.allows(branch or "")


@dataclass(frozen=True)
class Requirement:
    """A `requires` entry: the job name and the statuses of it that let this job start."""

    name: str
    statuses: tuple[str, ...] = ("success",)


@dataclass(frozen=True)
class WorkflowJob:
    """One job of a workflow, after matrix expansion. `job` is None for approval jobs."""

    name: str  # unique within the workflow
    job_name: str  # the definition it instantiates (for approvals: its own name)
    location: Location
    type: str = "build"  # "build" or "approval"
    job: Job | None = None
    requires: tuple[Requirement, ...] = ()
    context: tuple[str, ...] = ()
    filters: Filters | None = None
    matrix: Mapping[str, Any] = empty_map()  # this instance's matrix values
    selected: bool = True  # False: filtered out (itself or an upstream job it requires)
    skip_reason: str | None = None

    @property
    def is_approval(self) -> bool:
        return self.type == "approval"


@dataclass(frozen=True)
class Workflow:
    name: str
    location: Location
    jobs: tuple[WorkflowJob, ...]  # in dependency order: every job after those it requires
    runs: bool = True  # False: its when/unless said no
    skip_reason: str | None = None

    def job(self, name: str) -> WorkflowJob:
        for workflow_job in self.jobs:
            if workflow_job.name == name:
                return workflow_job
        raise KeyError(f"workflow {self.name!r} has no job {name!r}")

    @property
    def selected_jobs(self) -> tuple[WorkflowJob, ...]:
        return tuple(job for job in self.jobs if job.selected) if self.runs else ()


@dataclass(frozen=True)
class Pipeline:
    """What one config compiles to for one set of pipeline values and parameters."""

    config_path: str
    setup: bool
    values: PipelineValues
    parameters: Mapping[str, Any]  # every declared pipeline parameter, defaults filled in
    workflows: tuple[Workflow, ...] = field(default=())

    def workflow(self, name: str) -> Workflow:
        for workflow in self.workflows:
            if workflow.name == name:
                return workflow
        raise KeyError(f"pipeline has no workflow {name!r}")

    @property
    def running_workflows(self) -> tuple[Workflow, ...]:
        return tuple(workflow for workflow in self.workflows if workflow.runs)
