"""The supported CircleCI 2.1 subset, declared as the keys allowed at each level of a config.

`check_map` reports, for one mapping, every key outside its level (naming the key, its line,
and what is allowed there), every required key that is missing and every value of the wrong
kind. Values that are still `<< … >>` templates are accepted wherever a scalar is expected
when `lenient` (definitions are checked before their parameters are known).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mlci.pipeline.errors import Location, Problems
from mlci.pipeline.yaml_loader import YamlList, YamlMap

Path = tuple[str, ...]


@dataclass(frozen=True)
class Key:
    kinds: tuple[str, ...]  # any of: string, boolean, integer, number, map, list, any
    required: bool = False


def _k(*kinds: str, required: bool = False) -> Key:
    return Key(kinds, required)


_ENVIRONMENT = _k("map")
_STRING = _k("string")

LEVELS: dict[str, dict[str, Key]] = {
    "config": {
        "version": _k("number", "string", required=True),
        "setup": _k("boolean"),
        "orbs": _k("map"),
        "parameters": _k("map"),
        "executors": _k("map"),
        "commands": _k("map"),
        "jobs": _k("map"),
        "workflows": _k("map"),
    },
    "parameter": {
        "type": _k("string", required=True),
        "default": _k("any"),
        "description": _STRING,
        "enum": _k("list"),
    },
    "executor": {
        "description": _STRING,
        "parameters": _k("map"),
        "docker": _k("list"),
        "machine": _k("map", "boolean"),
        "resource_class": _STRING,
        "shell": _STRING,
        "working_directory": _STRING,
        "environment": _ENVIRONMENT,
    },
    "docker-image": {
        "image": _k("string", required=True),
        "name": _STRING,
        "entrypoint": _k("string", "list"),
        "command": _k("string", "list"),
        "user": _STRING,
        "environment": _ENVIRONMENT,
        "auth": _k("map"),
        "aws_auth": _k("map"),
    },
    "machine": {"image": _STRING, "docker_layer_caching": _k("boolean")},
    "job": {
        "description": _STRING,
        "parameters": _k("map"),
        "executor": _k("string", "map"),
        "docker": _k("list"),
        "machine": _k("map", "boolean"),
        "resource_class": _STRING,
        "shell": _STRING,
        "working_directory": _STRING,
        "environment": _ENVIRONMENT,
        "parallelism": _k("integer"),
        "circleci_ip_ranges": _k("boolean"),
        "steps": _k("list", required=True),
    },
    "command": {
        "description": _STRING,
        "parameters": _k("map"),
        "steps": _k("list", required=True),
    },
    "run": {
        "command": _k("string", required=True),
        "name": _STRING,
        "shell": _STRING,
        "environment": _ENVIRONMENT,
        "background": _k("boolean"),
        "working_directory": _STRING,
        "no_output_timeout": _k("string", "integer"),
        "when": _STRING,
        "max_auto_reruns": _k("integer"),
        "auto_rerun_delay": _STRING,
    },
    "checkout": {"path": _STRING, "method": _STRING},
    "when-step": {"condition": _k("any", required=True), "steps": _k("list", required=True)},
    "persist_to_workspace": {
        "root": _k("string", required=True),
        "paths": _k("list", required=True),
    },
    "attach_workspace": {"at": _k("string", required=True)},
    "store_artifacts": {"path": _k("string", required=True), "destination": _STRING},
    "store_test_results": {"path": _k("string", required=True)},
    "workflow": {"jobs": _k("list", required=True), "when": _k("any"), "unless": _k("any")},
    "filters": {"branches": _k("map"), "tags": _k("map")},
    "branch-filter": {"only": _k("string", "list"), "ignore": _k("string", "list")},
    "matrix": {"parameters": _k("map", required=True), "exclude": _k("list"), "alias": _STRING},
}

# Keys a workflow job entry takes besides the job's own parameters.
WORKFLOW_JOB_OPTIONS: dict[str, Key] = {
    "requires": _k("list"),
    "name": _STRING,
    "context": _k("string", "list"),
    "type": _STRING,
    "filters": _k("map", "string"),
    "matrix": _k("map"),
    "pre-steps": _k("list"),
    "post-steps": _k("list"),
}

# Known CircleCI features outside the subset get a message saying so, not "unknown key".
UNSUPPORTED = {
    "triggers": "scheduled workflow triggers are not supported; run `mlci run` from a scheduler",
    "macos": "macOS executors are not supported; use docker (recorded) or machine",
    "windows": "Windows executors are not supported; use docker (recorded) or machine",
    "save_cache": "the save_cache step is not supported (each job starts from a clean checkout)",
    "restore_cache": "the restore_cache step is not supported (each job starts clean)",
    "add_ssh_keys": "the add_ssh_keys step is not supported",
    "setup_remote_docker": "the setup_remote_docker step is not supported",
    "deploy": "the deploy step is not supported; use run",
    "serial-group": "serial groups are not supported",
    "override-with": "override-with is not supported",
}


def kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "map"
    return "null" if value is None else type(value).__name__


def scalar_text(value: Any) -> str:
    """A YAML scalar as CircleCI writes it into a string: true/false, numbers, "" for null."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def optional_text(value: Any) -> str | None:
    return None if value is None else scalar_text(value)


def describe_kinds(kinds: Iterable[str]) -> str:
    words = {"map": "a map", "list": "a list", "integer": "an integer"}
    return " or ".join(words.get(kind, f"a {kind}") for kind in kinds)


def is_template(value: Any) -> bool:
    return isinstance(value, str) and "<<" in value


def kind_matches(value: Any, kinds: tuple[str, ...], lenient: bool) -> bool:
    if "any" in kinds:
        return True
    actual = kind_of(value)
    if actual in kinds or (actual == "integer" and "number" in kinds):
        return True
    return lenient and is_template(value)


def check_value(
    value: Any, kinds: tuple[str, ...], path: Path, at: Location, problems: Problems, lenient: bool
) -> bool:
    if kind_matches(value, kinds, lenient):
        return True
    problems.add(path, f"must be {describe_kinds(kinds)}, not {_shown(value)}", at)
    return False


def _shown(value: Any) -> str:
    kind = kind_of(value)
    if kind in ("string", "integer", "number", "boolean"):
        return f"{kind} {value!r}"
    return kind if kind == "null" else f"a {kind}"


def check_map(
    node: Any,
    level: str | dict[str, Key],
    path: Path,
    at: Location,
    problems: Problems,
    *,
    lenient: bool = False,
    open_keys: bool = False,
) -> bool:
    """Check a mapping against a level; False if it is not a mapping at all.

    `open_keys`: keys outside the level are allowed (the caller checks them, e.g. job
    parameters in a workflow job entry).
    """
    keys = LEVELS[level] if isinstance(level, str) else level
    if not isinstance(node, YamlMap):
        problems.add(path, f"must be a map, not {_shown(node)}", at)
        return False
    for key, value in node.items():
        spec = keys.get(key)
        if spec is None:
            if not open_keys:
                report_unknown_key(node, key, keys, path, problems)
            continue
        check_value(
            value, spec.kinds, (*path, str(key)), node.value_location(key), problems, lenient
        )
    for key, spec in keys.items():
        if spec.required and key not in node:
            problems.add(path, f"missing required key '{key}'", node.location)
    return True


def report_unknown_key(
    node: YamlMap, key: Any, allowed: Iterable[str], path: Path, problems: Problems
) -> None:
    where = node.key_location(key)
    if key in UNSUPPORTED:
        problems.add((*path, str(key)), UNSUPPORTED[key], where)
        return
    names = ", ".join(sorted(allowed))
    problems.add(path, f"unknown key '{key}' (allowed here: {names})", where)


def child(path: Path, key: Any) -> Path:
    return (*path, str(key))


def item(path: Path, index: int) -> Path:
    return (*path[:-1], f"{path[-1]}[{index}]") if path else (f"[{index}]",)


def items_of(node: Any) -> list[tuple[int, Any, Location]]:
    """(index, item, location) for a loaded list; empty for anything else."""
    if not isinstance(node, YamlList):
        return []
    return [(index, value, node.item_location(index)) for index, value in enumerate(node)]
