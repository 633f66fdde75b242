"""Reading the definitions of a config or an orb into a Namespace, and checking them.

Definitions are checked leniently here (keys, shapes, references, argument names), because
their `<< parameters.x >>` values are only known when a workflow instantiates them; the
strict checks happen then, in jobs.py and steps.py.
"""

from __future__ import annotations

import re
from typing import Any

from mlci.pipeline.definitions import Definition, Namespace, OrbRef
from mlci.pipeline.errors import Problems
from mlci.pipeline.parameters import parse_parameters
from mlci.pipeline.schema import check_map, child, is_template, items_of
from mlci.pipeline.steps import StepBuilder
from mlci.pipeline.yaml_loader import YamlMap, load_yaml_text

_ORB_REFERENCE = re.compile(r"(?P<namespace>[\w-]+)/(?P<name>[\w-]+)(?:@(?P<version>[\w.\-]+))?")
_SECTIONS = (("executor", "executors"), ("command", "commands"), ("job", "jobs"))
_EXECUTOR_KEYS = ("executor", "docker", "machine")


def parse_orbs(node: Any, problems: Problems) -> tuple[dict[str, Namespace], dict[str, OrbRef]]:
    from mlci.pipeline.orbs.registry import NATIVE_ORB_NAMES, native_orb

    namespaces: dict[str, Namespace] = {}
    references: dict[str, OrbRef] = {}
    if not isinstance(node, YamlMap):
        return namespaces, references
    for alias, value in node.items():
        path = ("orbs", str(alias))
        at = node.value_location(alias)
        if isinstance(value, dict):
            problems.add(
                path, "inline orbs are not supported; mlci runs orbs it implements natively", at
            )
            continue
        match = _ORB_REFERENCE.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            problems.add(path, f"an orb reference is namespace/name@version, not {value!r}", at)
            continue
        full_name = f"{match['namespace']}/{match['name']}"
        namespace = native_orb(full_name)
        if namespace is None:
            supported = ", ".join(NATIVE_ORB_NAMES)
            problems.add(
                path, f"orb {full_name} is not implemented by mlci (implemented: {supported})", at
            )
            continue
        namespaces[str(alias)] = namespace
        references[str(alias)] = OrbRef(
            str(alias), match["namespace"], match["name"], match["version"] or "", at
        )
    return namespaces, references


def parse_namespace(
    raw: YamlMap, key: str, file: str, problems: Problems, *, native: bool = False
) -> tuple[Namespace, dict[str, OrbRef]]:
    namespace = Namespace(key=key, file=file, native=native)
    namespace.orbs, references = parse_orbs(raw.get("orbs"), problems)
    for kind, section in _SECTIONS:
        node = raw.get(section)
        if not isinstance(node, YamlMap):
            continue
        for name, body in node.items():
            path = (section, str(name))
            at = node.key_location(name)
            if not isinstance(body, YamlMap):
                problems.add(
                    path,
                    f"a {kind} definition must be a map, not {body!r}",
                    node.value_location(name),
                )
                continue
            parameters = parse_parameters(
                body.get("parameters"), child(path, "parameters"), problems
            )
            label = str(name) if not key else f"{key}/{name}"
            description = str(body.get("description") or "")
            namespace.table(kind)[str(name)] = Definition(
                kind, label, parameters, at, namespace, body, description
            )
    return namespace, references


def parse_orb_namespace(full_name: str, source: str) -> Namespace:
    """A native orb's namespace; its definitions are ours, so any problem is a bug here."""
    problems = Problems()
    file = f"<orb {full_name}>"
    namespace, _ = parse_namespace(
        load_yaml_text(source, file), full_name, file, problems, native=True
    )
    problems.raise_if_any()
    return namespace


def validate_definitions(namespace: Namespace, problems: Problems) -> None:
    """Lenient checks of every executor, command and job, used or not (as CircleCI does)."""
    steps = StepBuilder(problems, {}, lenient=True)
    for definition in namespace.executors.values():
        _validate_executor_body(definition.body, ("executors", _short(definition)), problems)
    for definition in namespace.commands.values():
        path = ("commands", _short(definition))
        if check_map(definition.body, "command", path, definition.location, problems, lenient=True):
            steps.build(
                definition.body.get("steps"),
                child(path, "steps"),
                definition.body.value_location("steps"),
                namespace,
            )
    for definition in namespace.jobs.values():
        _validate_job(definition, namespace, steps, problems)


def _short(definition: Definition) -> str:
    return definition.name.rpartition("/")[2]


def _validate_job(
    definition: Definition, namespace: Namespace, steps: StepBuilder, problems: Problems
) -> None:
    body = definition.body
    path = ("jobs", _short(definition))
    if not check_map(body, "job", path, definition.location, problems, lenient=True):
        return
    present = [key for key in _EXECUTOR_KEYS if key in body]
    if not present:
        problems.add(
            path, "a job needs an executor: one of executor, docker or machine", definition.location
        )
    elif len(present) > 1:
        problems.add(
            path,
            f"a job has one executor, not {' and '.join(present)}",
            body.key_location(present[1]),
        )
    _validate_executor_body(body, path, problems, lenient_keys=True)
    reference = body.get("executor")
    name = reference.get("name") if isinstance(reference, YamlMap) else reference
    if (
        isinstance(name, str)
        and not is_template(name)
        and namespace.resolve("executor", name) is None
    ):
        known = ", ".join(namespace.names("executor")) or "none are defined"
        problems.add(
            child(path, "executor"),
            f"unknown executor '{name}' (executors: {known})",
            body.value_location("executor"),
        )
    steps.build(body.get("steps"), child(path, "steps"), body.value_location("steps"), namespace)


def _validate_executor_body(
    body: YamlMap, path: tuple[str, ...], problems: Problems, *, lenient_keys: bool = False
) -> None:
    if not lenient_keys and not check_map(
        body, "executor", path, body.location, problems, lenient=True
    ):
        return
    if not lenient_keys and not any(key in body for key in ("docker", "machine")):
        problems.add(path, "an executor needs docker or machine", body.location)
    for index, image, at in items_of(body.get("docker")):
        check_map(image, "docker-image", (*path, f"docker[{index}]"), at, problems, lenient=True)
    machine = body.get("machine")
    if isinstance(machine, YamlMap):
        check_map(
            machine,
            "machine",
            child(path, "machine"),
            body.value_location("machine"),
            problems,
            lenient=True,
        )
