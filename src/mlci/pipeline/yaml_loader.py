"""YAML loading that remembers where every key and value came from.

Mappings load as `YamlMap` (a dict) and sequences as `YamlList` (a list), each knowing the
file:line:col of itself, of its keys and of its values; scalars stay plain Python values, so
the rest of the code reads them like any parsed YAML. Duplicate keys are errors (PyYAML would
silently keep the last one), all of them reported at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from mlci.pipeline.errors import ConfigError, Location, Problem

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlMap(dict[Any, Any]):
    """A mapping with the location of itself, of each key and of each value."""

    location: Location
    key_locations: dict[Any, Location]
    value_locations: dict[Any, Location]

    def __init__(self, location: Location) -> None:
        super().__init__()
        self.location = location
        self.key_locations = {}
        self.value_locations = {}

    def key_location(self, key: Any) -> Location:
        return self.key_locations.get(key, self.location)

    def value_location(self, key: Any) -> Location:
        return self.value_locations.get(key, self.key_location(key))

    def put(self, key: Any, value: Any, key_at: Location, value_at: Location) -> None:
        self[key] = value
        self.key_locations[key] = key_at
        self.value_locations[key] = value_at


class YamlList(list[Any]):
    """A sequence with the location of itself and of each item."""

    location: Location
    item_locations: list[Location]

    def __init__(self, location: Location) -> None:
        super().__init__()
        self.location = location
        self.item_locations = []

    def item_location(self, index: int) -> Location:
        if 0 <= index < len(self.item_locations):
            return self.item_locations[index]
        return self.location

    def push(self, value: Any, at: Location) -> None:
        self.append(value)
        self.item_locations.append(at)


def location_of(value: Any, default: Location) -> Location:
    """The location of a loaded container, or `default` for a scalar (which has none)."""
    return value.location if isinstance(value, YamlMap | YamlList) else default


# The base is libyaml's C loader when PyYAML has it (several times faster), else the pure
# Python one; mypy cannot follow a base class chosen at import time, hence the ignore.
class _LocatingLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    file_name: str = "<string>"
    problems: list[Problem]

    def where(self, node: yaml.Node) -> Location:
        mark = node.start_mark
        return Location(self.file_name, mark.line + 1, mark.column + 1)


def _construct_map(loader: _LocatingLoader, node: yaml.MappingNode) -> Iterator[YamlMap]:
    result = YamlMap(loader.where(node))
    yield result
    _report_duplicate_keys(loader, node)
    loader.flatten_mapping(node)  # applies `<<: *anchor` merges; explicit keys then override
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, YamlMap | YamlList):
            loader.problems.append(
                Problem(
                    (), "a mapping key must be a scalar, not a collection", loader.where(key_node)
                )
            )
            continue
        value = loader.construct_object(value_node, deep=True)
        result.put(key, value, loader.where(key_node), loader.where(value_node))


def _report_duplicate_keys(loader: _LocatingLoader, node: yaml.MappingNode) -> None:
    first_seen: dict[Any, Location] = {}
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG or not isinstance(key_node, yaml.ScalarNode):
            continue
        key = loader.construct_object(key_node)
        here = loader.where(key_node)
        if key in first_seen:
            message = f"duplicate key {key!r} (first defined at line {first_seen[key].line})"
            loader.problems.append(Problem((), message, here))
        else:
            first_seen[key] = here


def _construct_list(loader: _LocatingLoader, node: yaml.SequenceNode) -> Iterator[YamlList]:
    result = YamlList(loader.where(node))
    yield result
    for item_node in node.value:
        result.push(loader.construct_object(item_node, deep=True), loader.where(item_node))


_LocatingLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_LocatingLoader.add_constructor("tag:yaml.org,2002:seq", _construct_list)


def load_yaml_text(text: str, file_name: str) -> Any:
    """Parse one YAML document; `file_name` is what error messages call the source."""
    loader = _LocatingLoader(text)
    loader.file_name = file_name
    loader.problems = []
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        raise ConfigError([_syntax_problem(exc, file_name)]) from None
    except yaml.YAMLError as exc:  # errors without a position (rare: encoding and the like)
        raise ConfigError([Problem((), f"invalid YAML: {exc}", Location(file_name, 1))]) from None
    finally:
        loader.dispose()
    if loader.problems:
        raise ConfigError(loader.problems)
    return data


def load_yaml_file(path: Path, file_name: str | None = None) -> Any:
    """Parse a YAML file; `file_name` (default: the path as given) is used in messages."""
    name = file_name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError.single(f"file not found: {name}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError.single(f"{name} is not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise ConfigError.single(f"cannot read {name}: {exc.strerror}") from None
    return load_yaml_text(text, name)


def _syntax_problem(exc: yaml.MarkedYAMLError, file_name: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    where = Location(file_name, mark.line + 1, mark.column + 1) if mark else Location(file_name, 1)
    what = exc.problem or exc.context or "syntax error"
    if exc.context and exc.problem:
        what = f"{exc.context}: {exc.problem}"
    return Problem((), f"invalid YAML: {what}", where)
