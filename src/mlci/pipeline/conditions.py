"""`when`/`unless` conditions: logic maps, expression strings, or plain values.

Logic maps are CircleCI's `and`, `or`, `not`, `equal` and `matches` (`{pattern, value}`,
a whole-string match); a plain value is truthy unless it is false, null, 0, NaN or an empty
string, and `and: []` / `or: []` are false. A string written in the config is an expression
(`pipeline.git.branch == "main"`); a string that came from a `<< … >>` substitution is a
plain value, so `when: << pipeline.parameters.name >>` tests that the parameter is non-empty.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlci.pipeline.errors import Location, Problems
from mlci.pipeline.expressions import Expression, ExpressionError
from mlci.pipeline.schema import kind_of
from mlci.pipeline.substitution import WholeValue
from mlci.pipeline.yaml_loader import YamlList, YamlMap

Path = tuple[str, ...]
OPERATORS = ("and", "or", "not", "equal", "matches")


@dataclass(frozen=True)
class ValueCondition:
    """A plain value (or the result of a `<< … >>` substitution), decided by truthiness."""

    value: Any
    location: Location

    def evaluate(self, environment: Mapping[str, Any]) -> bool:
        return logic_truthy(self.value)


@dataclass(frozen=True)
class ExpressionCondition:
    expression: Expression
    location: Location

    def evaluate(self, environment: Mapping[str, Any]) -> bool:
        return self.expression.is_true(environment)


@dataclass(frozen=True)
class AllOf:
    """`and:` — false when empty, as CircleCI treats statements without arguments."""

    operands: tuple[Condition, ...]
    location: Location

    def evaluate(self, environment: Mapping[str, Any]) -> bool:
        return bool(self.operands) and all(c.evaluate(environment) for c in self.operands)


@dataclass(frozen=True)
class AnyOf:
    operands: tuple[Condition, ...]
    location: Location

    def evaluate(self, environment: Mapping[str, Any]) -> bool:
        return any(c.evaluate(environment) for c in self.operands)


@dataclass(frozen=True)
class Negation:
    operand: Condition
    location: Location

    def evaluate(self, environment: Mapping[str, Any]) -> bool:
        return not self.operand.evaluate(environment)


@dataclass(frozen=True)
class Equal:
    values: tuple[Any, ...]
    location: Location

    def evaluate(self, environment: Mapping[str, Any]) -> bool:
        return _all_equal(self.values)


@dataclass(frozen=True)
class Matches:
    pattern: re.Pattern[str]
    value: Any
    location: Location

    def evaluate(self, environment: Mapping[str, Any]) -> bool:
        return isinstance(self.value, str) and self.pattern.fullmatch(self.value) is not None


Condition = ValueCondition | ExpressionCondition | AllOf | AnyOf | Negation | Equal | Matches


def logic_truthy(value: Any) -> bool:
    """CircleCI logic truthiness: false, null, 0, NaN, "" and empty collections are false."""
    if value is None or value is False or value == "":
        return False
    if isinstance(value, list | dict):
        return bool(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value != 0 and not math.isnan(value)
    return True


def _all_equal(values: tuple[Any, ...]) -> bool:
    first = values[0]
    return all(type(v) is type(first) and v == first for v in values[1:])


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, str) else value


def parse_condition(
    node: Any, path: Path, at: Location, problems: Problems, *, as_value: bool = False
) -> Condition | None:
    """Parse a condition; None (with problems added) if it is malformed.

    `as_value`: a string is a value, not an expression (inside logic statements).
    """
    if isinstance(node, YamlMap):
        return _parse_logic(node, path, problems)
    if isinstance(node, str) and not as_value and not isinstance(node, WholeValue):
        try:
            return ExpressionCondition(Expression.parse(node), at)
        except ExpressionError as exc:
            problems.add(path, f"invalid expression: {exc}", at)
            return None
    if isinstance(node, YamlList):
        problems.add(path, "a condition cannot be a list; use and:/or: [...]", at)
        return None
    return ValueCondition(_plain(node), at)


def _parse_logic(node: YamlMap, path: Path, problems: Problems) -> Condition | None:
    if len(node) != 1:
        keys = ", ".join(map(str, node)) or "none"
        problems.add(
            path,
            f"a logic statement has exactly one of {', '.join(OPERATORS)} (found: {keys})",
            node.location,
        )
        return None
    operator, operand = next(iter(node.items()))
    here = (*path, str(operator))
    at = node.value_location(operator)
    if operator in ("and", "or"):
        return _parse_junction(str(operator), operand, here, at, problems)
    if operator == "not":
        inner = parse_condition(operand, here, at, problems, as_value=True)
        return Negation(inner, at) if inner else None
    if operator == "equal":
        if not isinstance(operand, list) or not operand:
            problems.add(
                here, f"equal takes a non-empty list of values, not {kind_of(operand)}", at
            )
            return None
        return Equal(tuple(_plain(value) for value in operand), at)
    if operator == "matches":
        return _parse_matches(operand, here, at, problems)
    problems.add(
        path,
        f"unknown logic operator '{operator}' (allowed: {', '.join(OPERATORS)})",
        node.key_location(operator),
    )
    return None


def _parse_junction(
    operator: str, operand: Any, path: Path, at: Location, problems: Problems
) -> Condition | None:
    if not isinstance(operand, YamlList):
        problems.add(path, f"{operator} takes a list of conditions, not {kind_of(operand)}", at)
        return None
    parts = []
    for index, item in enumerate(operand):
        label = (*path[:-1], f"{path[-1]}[{index}]")
        part = parse_condition(item, label, operand.item_location(index), problems, as_value=True)
        if part is None:
            return None
        parts.append(part)
    return AllOf(tuple(parts), at) if operator == "and" else AnyOf(tuple(parts), at)


def _parse_matches(operand: Any, path: Path, at: Location, problems: Problems) -> Condition | None:
    if not isinstance(operand, YamlMap) or set(operand) != {"pattern", "value"}:
        problems.add(path, "matches takes a map with exactly 'pattern' and 'value'", at)
        return None
    pattern = operand["pattern"]
    if not isinstance(pattern, str):
        problems.add(
            (*path, "pattern"),
            f"must be a string, not {kind_of(pattern)}",
            operand.value_location("pattern"),
        )
        return None
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        problems.add(
            (*path, "pattern"),
            f"invalid regex {pattern!r}: {exc}",
            operand.value_location("pattern"),
        )
        return None
    return Matches(compiled, _plain(operand["value"]), at)
