"""Named definitions of a config (executors, commands, jobs, workflows) and where names resolve.

A `Namespace` is the set of definitions one config or one orb provides; names with a slash
(`path-filtering/filter`) resolve through the orbs the namespace imports. The user's config
is one namespace and each natively implemented orb is another, so `filter` inside the
path-filtering orb finds the orb's own `set-parameters`, as on CircleCI.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mlci.pipeline.errors import Location
from mlci.pipeline.parameters import Parameter
from mlci.pipeline.schema import scalar_text
from mlci.pipeline.yaml_loader import YamlMap


@dataclass(frozen=True)
class OrbRef:
    """An `orbs:` entry, e.g. alias `path-filtering` for `circleci/path-filtering@1.3.0`."""

    alias: str
    namespace: str
    name: str
    version: str
    location: Location

    @property
    def full_name(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class Definition:
    """An executor, command or job definition: its parameters and (unsubstituted) body."""

    kind: str  # "executor", "command" or "job"
    name: str  # as referenced from the user's config, e.g. "path-filtering/filter"
    parameters: Mapping[str, Parameter]
    location: Location
    namespace: Namespace = field(compare=False, repr=False)
    body: YamlMap = field(compare=False, repr=False)
    description: str = ""

    @property
    def label(self) -> str:
        return f"{self.kind} '{self.name}'"


@dataclass(frozen=True)
class WorkflowDefinition:
    name: str
    location: Location
    body: YamlMap = field(compare=False, repr=False)


@dataclass
class Namespace:
    """The definitions one config (or one orb) provides, and the orbs it imports."""

    key: str  # "" for the user's config, else the orb's full name
    file: str
    native: bool = False  # native orbs may use the steps mlci executes itself
    executors: dict[str, Definition] = field(default_factory=dict)
    commands: dict[str, Definition] = field(default_factory=dict)
    jobs: dict[str, Definition] = field(default_factory=dict)
    orbs: dict[str, Namespace] = field(default_factory=dict)

    def table(self, kind: str) -> dict[str, Definition]:
        return {"executor": self.executors, "command": self.commands, "job": self.jobs}[kind]

    def resolve(self, kind: str, name: str) -> Definition | None:
        """The definition `name` refers to from inside this namespace, or None."""
        alias, slash, rest = name.partition("/")
        if not slash:
            return self.table(kind).get(name)
        orb = self.orbs.get(alias)
        if orb is None:
            return None
        return orb.table(kind).get(rest)

    def names(self, kind: str) -> list[str]:
        """Every name of this kind resolvable from here (for "did you mean" lists)."""
        local = list(self.table(kind))
        imported = [f"{alias}/{n}" for alias, orb in self.orbs.items() for n in orb.table(kind)]
        return sorted(local + imported)


def qualified(namespace: Namespace, name: str) -> str:
    return name if not namespace.key else f"{namespace.key}/{name}"


def as_str_map(value: Any) -> dict[str, str]:
    """Environment maps hold strings; YAML scalars are written the way CircleCI writes them."""
    if not isinstance(value, Mapping):
        return {}
    return {str(key): scalar_text(item) for key, item in value.items()}
