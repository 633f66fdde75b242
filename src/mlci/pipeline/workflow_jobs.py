"""The parts of a workflow job entry: matrix expansion, filters and `requires`."""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from typing import Any

from mlci.pipeline import model
from mlci.pipeline.errors import Location, Problems
from mlci.pipeline.expressions import Expression, ExpressionError
from mlci.pipeline.schema import check_map, child, item, items_of, kind_of, scalar_text
from mlci.pipeline.yaml_loader import YamlList, YamlMap

Path = tuple[str, ...]
REQUIRE_STATUSES = ("success", "failed", "canceled")


def expand_matrix(node: Any, path: Path, at: Location, problems: Problems) -> list[dict[str, Any]]:
    """Every combination of the matrix parameters, minus `exclude`, in declaration order."""
    if not check_map(node, "matrix", path, at, problems):
        return []
    parameters = node.get("parameters")
    if not isinstance(parameters, YamlMap) or not parameters:
        if isinstance(parameters, YamlMap):
            problems.add(
                child(path, "parameters"),
                "a matrix needs at least one parameter",
                node.value_location("parameters"),
            )
        return []
    names = [str(name) for name in parameters]
    value_lists = []
    for name in parameters:
        values = parameters[name]
        if not isinstance(values, YamlList) or not values:
            where = parameters.value_location(name)
            problems.add(
                (*path, "parameters", str(name)),
                f"must be a non-empty list of values, not {kind_of(values)}",
                where,
            )
            return []
        value_lists.append(list(values))
    combinations = [
        dict(zip(names, combo, strict=True)) for combo in itertools.product(*value_lists)
    ]
    excluded = _exclusions(node.get("exclude"), names, child(path, "exclude"), problems)
    return [combo for combo in combinations if combo not in excluded]


def _exclusions(
    node: Any, names: list[str], path: Path, problems: Problems
) -> list[dict[str, Any]]:
    exclusions = []
    for index, entry, at in items_of(node):
        if not isinstance(entry, YamlMap) or sorted(map(str, entry)) != sorted(names):
            problems.add(
                item(path, index),
                f"an exclude entry gives a value for each matrix parameter ({', '.join(names)})",
                at,
            )
            continue
        exclusions.append({str(key): value for key, value in entry.items()})
    return exclusions


def matrix_job_name(job: str, combination: Mapping[str, Any]) -> str:
    """CircleCI's default name: the job, then each value, parameters in sorted order."""
    return "-".join([job, *(scalar_text(combination[name]) for name in sorted(combination))])


def parse_filters(node: Any, path: Path, at: Location, problems: Problems) -> model.Filters | None:
    if isinstance(node, str):
        try:
            return model.Filters(at, expression=Expression.parse(node))
        except ExpressionError as exc:
            problems.add(path, f"invalid expression: {exc}", at)
            return None
    if not check_map(node, "filters", path, at, problems):
        return None
    refs = {}
    for key in ("branches", "tags"):
        if key in node:
            refs[key] = _ref_filter(node[key], child(path, key), node.value_location(key), problems)
    return model.Filters(at, branches=refs.get("branches"), tags=refs.get("tags"))


def _ref_filter(node: Any, path: Path, at: Location, problems: Problems) -> model.RefFilter | None:
    if not check_map(node, "branch-filter", path, at, problems):
        return None
    only = _patterns(node.get("only"), child(path, "only"), node.value_location("only"), problems)
    ignore = _patterns(
        node.get("ignore"), child(path, "ignore"), node.value_location("ignore"), problems
    )
    return model.RefFilter(only, ignore)


def _patterns(
    node: Any, path: Path, at: Location, problems: Problems
) -> tuple[model.FilterPattern, ...]:
    if node is None:
        return ()
    entries = (
        [(node, at)] if isinstance(node, str) else [(v, where) for _, v, where in items_of(node)]
    )
    patterns = []
    for text, where in entries:
        if not isinstance(text, str):
            problems.add(path, f"a branch or tag pattern is a string, not {kind_of(text)}", where)
            continue
        if len(text) >= 2 and text.startswith("/") and text.endswith("/"):
            try:
                patterns.append(model.FilterPattern(text, re.compile(text[1:-1])))
            except re.error as exc:
                problems.add(path, f"invalid regex {text}: {exc}", where)
            continue
        patterns.append(model.FilterPattern(text))
    return tuple(patterns)


def parse_requires(
    node: Any, path: Path, at: Location, problems: Problems
) -> list[tuple[model.Requirement, Location]]:
    if node is None:
        return []
    if not isinstance(node, YamlList):
        return []  # the workflow job schema has reported it
    requirements = []
    for index, entry, where in items_of(node):
        here = item(path, index)
        if isinstance(entry, str):
            requirements.append((model.Requirement(entry), where))
        elif isinstance(entry, YamlMap) and len(entry) == 1:
            name, statuses = next(iter(entry.items()))
            parsed = _statuses(statuses, here, entry.value_location(name), problems)
            if parsed:
                requirements.append((model.Requirement(str(name), parsed), where))
        else:
            problems.add(
                here, "a requires entry is a job name or {job-name: status or [statuses]}", where
            )
    return requirements


def _statuses(node: Any, path: Path, at: Location, problems: Problems) -> tuple[str, ...]:
    values = [node] if isinstance(node, str) else list(node) if isinstance(node, list) else None
    if not values or any(value not in REQUIRE_STATUSES for value in values):
        problems.add(
            path, f"statuses are one or more of {', '.join(REQUIRE_STATUSES)}, not {node!r}", at
        )
        return ()
    return tuple(values)


def context_names(node: Any, path: Path, at: Location, problems: Problems) -> tuple[str, ...]:
    if node is None:
        return ()
    if isinstance(node, str):
        return (node,)
    if isinstance(node, list) and all(isinstance(value, str) for value in node):
        return tuple(node)
    problems.add(path, "a context is a name or a list of names", at)
    return ()
