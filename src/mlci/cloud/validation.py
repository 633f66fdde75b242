"""Server-side input validation against botocore's shapes.

botocore's own validator checks only what a client can check (types, required members). A
server must also enforce the constraints the model declares (length, range, enum, pattern),
and report them the way AWS does: "1 validation error detected: Value 'x' at 'Field' failed
to satisfy constraint: ...". Members the model does not know are ignored, as AWS does, so a
client built against a newer model still works.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from mlci.cloud.errors import AwsError

_MAX_REPORTED = 10


def validate(shape: Shape | None, params: Any) -> None:
    """Raise ValidationException listing every violation (up to ten) in `params`."""
    if shape is None:
        return
    problems: list[str] = []
    _check(shape, params, "", problems)
    if problems:
        count = len(problems)
        noun = "error" if count == 1 else "errors"
        raise AwsError(
            "ValidationException",
            f"{count} validation {noun} detected: " + "; ".join(problems[:_MAX_REPORTED]),
        )


def _describe(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 80 else text[:77] + "..."


def _check(shape: Shape, value: Any, where: str, problems: list[str]) -> None:
    checker = _CHECKERS.get(shape.type_name)
    if checker is not None:
        checker(shape, value, where or "input", problems)


def _check_structure(shape: Shape, value: Any, where: str, problems: list[str]) -> None:
    assert isinstance(shape, StructureShape)
    if not isinstance(value, dict):
        problems.append(f"Value {_describe(value)} at '{where}' must be an object")
        return
    for name in shape.required_members:
        if value.get(name) is None:
            path = f"{where}.{name}" if where != "input" else name
            problems.append(
                f"Value null at '{path}' failed to satisfy constraint: Member must not be null"
            )
    for name, member in shape.members.items():
        if name in value and value[name] is not None:
            path = f"{where}.{name}" if where != "input" else name
            _check(member, value[name], path, problems)


def _check_list(shape: Shape, value: Any, where: str, problems: list[str]) -> None:
    assert isinstance(shape, ListShape)
    if not isinstance(value, list):
        problems.append(f"Value {_describe(value)} at '{where}' must be a list")
        return
    _check_size(shape, len(value), value, where, problems, "length")
    for index, item in enumerate(value):
        _check(shape.member, item, f"{where}[{index}]", problems)


def _check_map(shape: Shape, value: Any, where: str, problems: list[str]) -> None:
    assert isinstance(shape, MapShape)
    if not isinstance(value, dict):
        problems.append(f"Value {_describe(value)} at '{where}' must be a map")
        return
    _check_size(shape, len(value), value, where, problems, "length")
    for key, item in value.items():
        _check(shape.key, key, f"{where}.key", problems)
        _check(shape.value, item, f"{where}[{key!r}]", problems)


def _check_string(shape: Shape, value: Any, where: str, problems: list[str]) -> None:
    if not isinstance(value, str):
        problems.append(f"Value {_describe(value)} at '{where}' must be a string")
        return
    _check_size(shape, len(value), value, where, problems, "length")
    if shape.enum and value not in shape.enum:
        problems.append(
            f"Value {_describe(value)} at '{where}' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(shape.enum)}]"
        )
        return
    pattern = shape.metadata.get("pattern")
    if pattern:
        compiled = _compile(pattern)
        if compiled is not None and compiled.fullmatch(value) is None:
            problems.append(
                f"Value {_describe(value)} at '{where}' failed to satisfy constraint: "
                f"Member must satisfy regular expression pattern: {pattern}"
            )


def _check_integer(shape: Shape, value: Any, where: str, problems: list[str]) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(f"Value {_describe(value)} at '{where}' must be an integer")
        return
    _check_size(shape, value, value, where, problems, "value")


def _check_float(shape: Shape, value: Any, where: str, problems: list[str]) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.append(f"Value {_describe(value)} at '{where}' must be a number")
        return
    _check_size(shape, value, value, where, problems, "value")


def _check_boolean(shape: Shape, value: Any, where: str, problems: list[str]) -> None:
    if not isinstance(value, bool):
        problems.append(f"Value {_describe(value)} at '{where}' must be a boolean")


def _check_timestamp(shape: Shape, value: Any, where: str, problems: list[str]) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        problems.append(f"Value {_describe(value)} at '{where}' must be a timestamp")


def _check_blob(shape: Shape, value: Any, where: str, problems: list[str]) -> None:
    if not isinstance(value, str | bytes):
        problems.append(f"Value {_describe(value)} at '{where}' must be base64-encoded bytes")


def _check_size(
    shape: Shape, size: float, value: Any, where: str, problems: list[str], what: str
) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and size < low:
        comparison = f"greater than or equal to {low}"
    elif high is not None and size > high:
        comparison = f"less than or equal to {high}"
    else:
        return
    problems.append(
        f"Value {_describe(value)} at '{where}' failed to satisfy constraint: "
        f"Member must have {what} {comparison}"
    )


_CHECKERS = {
    "structure": _check_structure,
    "list": _check_list,
    "map": _check_map,
    "string": _check_string,
    "integer": _check_integer,
    "long": _check_integer,
    "float": _check_float,
    "double": _check_float,
    "boolean": _check_boolean,
    "timestamp": _check_timestamp,
    "blob": _check_blob,
}


@functools.lru_cache(maxsize=2048)
def _compile(pattern: str) -> re.Pattern[str] | None:
    """AWS patterns are Java regexes; the few Python cannot read (\\p{L} classes) are skipped,
    since those only ever admit printable text."""
    if "\\p{" in pattern:
        return None
    try:
        return re.compile(pattern, re.DOTALL)
    except re.error:
        return None
