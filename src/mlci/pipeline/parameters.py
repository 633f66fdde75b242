"""Parameter declarations (pipeline, job, command, executor) and binding arguments to them.

Types: `string`, `boolean`, `integer`, `enum` everywhere; `steps`, `executor` and
`env_var_name` for jobs, commands and executors. Checks are strict as CircleCI's are: `3.8`
is a number, not a string, and `"true"` is a string, not a boolean.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mlci.pipeline.errors import Location, Problems
from mlci.pipeline.schema import check_map, is_template, kind_of
from mlci.pipeline.yaml_loader import YamlMap

PIPELINE_TYPES = ("string", "boolean", "integer", "enum")
ALL_TYPES = (*PIPELINE_TYPES, "steps", "executor", "env_var_name")
_ENV_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

Path = tuple[str, ...]


@dataclass(frozen=True)
class Parameter:
    """A declared parameter. `has_default` False means an argument is required."""

    name: str
    type: str
    location: Location
    has_default: bool = False
    default: Any = None
    description: str = ""
    enum: tuple[str, ...] = field(default=())

    def problem_with(self, value: Any, lenient: bool = False) -> str | None:
        """Why `value` does not fit this parameter, or None if it does."""
        if lenient and is_template(value):
            return None
        expected = _PREDICATES[self.type]
        if expected(value, self):
            return None
        return _explain_mismatch(self, value)


def _is_string(value: Any, _: Parameter) -> bool:
    return isinstance(value, str)


def _is_boolean(value: Any, _: Parameter) -> bool:
    return isinstance(value, bool)


def _is_integer(value: Any, _: Parameter) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_enum_member(value: Any, parameter: Parameter) -> bool:
    return isinstance(value, str) and value in parameter.enum


def _is_steps(value: Any, _: Parameter) -> bool:
    return isinstance(value, list)


def _is_executor(value: Any, _: Parameter) -> bool:
    return isinstance(value, str) or (isinstance(value, dict) and "name" in value)


def _is_env_var_name(value: Any, _: Parameter) -> bool:
    return isinstance(value, str) and _ENV_VAR_NAME.fullmatch(value) is not None


_PREDICATES = {
    "string": _is_string,
    "boolean": _is_boolean,
    "integer": _is_integer,
    "enum": _is_enum_member,
    "steps": _is_steps,
    "executor": _is_executor,
    "env_var_name": _is_env_var_name,
}


def _explain_mismatch(parameter: Parameter, value: Any) -> str:
    shown = f"{kind_of(value)} {value!r}" if not isinstance(value, list | dict) else kind_of(value)
    if parameter.type == "enum":
        return f"must be one of {', '.join(map(repr, parameter.enum))}, not {shown}"
    if parameter.type == "env_var_name":
        return f"must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*), not {shown}"
    if parameter.type == "executor":
        return f"must be an executor name or a map with 'name', not {shown}"
    hint = ' (quote it to make it a string: "…")' if parameter.type == "string" else ""
    article = "an" if parameter.type == "integer" else "a"
    words = {"steps": "a list of steps"}
    return f"must be {words.get(parameter.type, f'{article} {parameter.type}')}, not {shown}{hint}"


def parse_parameters(
    node: Any,
    path: Path,
    problems: Problems,
    *,
    types: tuple[str, ...] = ALL_TYPES,
    lenient: bool = True,
) -> dict[str, Parameter]:
    """Parse a `parameters:` block; every problem is added to `problems`."""
    if not isinstance(node, YamlMap):
        return {}
    parameters: dict[str, Parameter] = {}
    for name, declaration in node.items():
        here = (*path, str(name))
        at = node.key_location(name)
        if not check_map(declaration, "parameter", here, node.value_location(name), problems):
            continue
        parameter = _parse_one(str(name), declaration, here, at, problems, types, lenient)
        if parameter is not None:
            parameters[str(name)] = parameter
    return parameters


def _parse_one(
    name: str,
    declaration: YamlMap,
    path: Path,
    at: Location,
    problems: Problems,
    types: tuple[str, ...],
    lenient: bool,
) -> Parameter | None:
    kind = declaration.get("type")
    if kind not in types:
        allowed = ", ".join(types)
        where = declaration.value_location("type") if "type" in declaration else at
        if "type" in declaration:
            problems.add(
                (*path, "type"), f"unknown parameter type {kind!r} (allowed: {allowed})", where
            )
        return None
    enum = _parse_enum(declaration, path, problems) if kind == "enum" else ()
    parameter = Parameter(
        name=name,
        type=str(kind),
        location=at,
        has_default="default" in declaration,
        default=declaration.get("default"),
        description=str(declaration.get("description") or ""),
        enum=enum,
    )
    if parameter.has_default and not (kind == "enum" and not enum):
        problem = parameter.problem_with(parameter.default, lenient)
        if problem:
            problems.add((*path, "default"), problem, declaration.value_location("default"))
    return parameter


def _parse_enum(declaration: YamlMap, path: Path, problems: Problems) -> tuple[str, ...]:
    values = declaration.get("enum")
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        where = (
            declaration.value_location("enum") if "enum" in declaration else declaration.location
        )
        problems.add((*path, "enum"), "an enum parameter needs 'enum': a list of strings", where)
        return ()
    return tuple(values)


def bind_arguments(
    parameters: Mapping[str, Parameter],
    arguments: Mapping[Any, Any],
    owner: str,
    path: Path,
    at: Location,
    problems: Problems,
    *,
    lenient: bool = False,
) -> dict[str, Any]:
    """Arguments checked against declarations, defaults filled in: name -> value."""
    bound: dict[str, Any] = {}
    for name, value in arguments.items():
        where = arguments.key_location(name) if isinstance(arguments, YamlMap) else at
        parameter = parameters.get(str(name))
        if parameter is None:
            declared = ", ".join(sorted(parameters)) or "none"
            problems.add(path, f"{owner} has no parameter '{name}' (parameters: {declared})", where)
            continue
        problem = parameter.problem_with(value, lenient)
        if problem:
            value_at = arguments.value_location(name) if isinstance(arguments, YamlMap) else at
            problems.add((*path, str(name)), problem, value_at)
        bound[str(name)] = value
    for name, parameter in parameters.items():
        if name in bound:
            continue
        if parameter.has_default:
            bound[name] = parameter.default
        else:
            problems.add(path, f"{owner} needs a value for parameter '{name}' (no default)", at)
    return bound


def scope_values(prefix: str, bound: Mapping[str, Any]) -> dict[str, Any]:
    """`{"x": 1}` -> `{"parameters.x": 1}` for substitution."""
    return {f"{prefix}{name}": value for name, value in bound.items()}
