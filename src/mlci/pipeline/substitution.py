"""`<< … >>` substitution over loaded YAML, keeping every location.

CircleCI substitutes in passes: pipeline values and parameters over the whole config, then,
for each job, command and executor, its own `<< parameters.x >>`, and for matrix jobs
`<< matrix.x >>`. A pass resolves only the references it knows (`Scope.prefixes`) and leaves
the rest for a later pass; the `final` pass of a piece reports whatever is left over and
turns the escape `\\<<` into a literal `<<`.

A string that is exactly one reference takes the referenced value with its type (so
`when: << pipeline.parameters.deploy >>` is a boolean, and a `steps` parameter is a list,
spliced into the list it stands in); anywhere else the value is written into the string.
Substituted values are inserted as they are, never scanned again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlci.pipeline.errors import Location, Problems
from mlci.pipeline.schema import scalar_text
from mlci.pipeline.yaml_loader import YamlList, YamlMap

_REFERENCE = re.compile(r"\\<<|<<(.*?)>>", re.S)
_WHOLE = re.compile(r"<<\s*([^<>]*?)\s*>>")

Path = tuple[str, ...]


class WholeValue(str):
    """A string that was a whole `<< … >>` reference, so conditions treat it as a value.

    `condition: << parameters.path >>` means "is the path non-empty", while a literal string
    condition is an expression; this marker keeps the difference through substitution.
    """


@dataclass(frozen=True)
class Scope:
    values: Mapping[str, Any]  # full reference name ("parameters.x") -> value
    prefixes: tuple[str, ...]  # the references this pass resolves
    final: bool = False


class _Pass:
    def __init__(self, scope: Scope, problems: Problems) -> None:
        self.scope = scope
        self.problems = problems

    def value(self, value: Any, path: Path, at: Location) -> Any:
        if isinstance(value, YamlMap):
            return self.mapping(value, path)
        if isinstance(value, YamlList):
            return self.sequence(value, path)
        if isinstance(value, str) and "<<" in value:
            return self.string(value, path, at)
        return value

    def mapping(self, node: YamlMap, path: Path) -> YamlMap:
        result = YamlMap(node.location)
        for key, value in node.items():
            at = node.value_location(key)
            new_value = self.value(value, (*path, str(key)), at)
            new_key = key
            if isinstance(key, str) and "<<" in key:  # e.g. an env_var_name parameter as a key
                new_key = str(self.string(key, path, node.key_location(key)))
            result.put(new_key, new_value, node.key_location(key), at)
        return result

    def sequence(self, node: YamlList, path: Path) -> YamlList:
        result = YamlList(node.location)
        for index, value in enumerate(node):
            at = node.item_location(index)
            label = (*path[:-1], f"{path[-1]}[{index}]") if path else (f"[{index}]",)
            new_value = self.value(value, label, at)
            if isinstance(new_value, YamlList) and _is_whole_reference(value):
                for spliced_index, spliced in enumerate(new_value):  # a steps parameter
                    result.push(spliced, new_value.item_location(spliced_index))
            else:
                result.push(new_value, at)
        return result

    def string(self, text: str, path: Path, at: Location) -> Any:
        whole = _WHOLE.fullmatch(text)
        if whole is not None and self._resolves(whole.group(1)):
            value = self._lookup(whole.group(1), path, at)
            return WholeValue(value) if isinstance(value, str) else value
        return _REFERENCE.sub(lambda match: self._replace(match, path, at), text)

    def _replace(self, match: re.Match[str], path: Path, at: Location) -> str:
        if match.group(1) is None:  # the escape \<<
            return "<<" if self.scope.final else match.group(0)
        name = match.group(1).strip()
        if not self._resolves(name):
            if self.scope.final:
                self.problems.add(path, f"unknown reference << {name} >>", at)
            return match.group(0)
        return _as_text(self._lookup(name, path, at), name, path, at, self.problems)

    def _resolves(self, name: str) -> bool:
        return name.startswith(self.scope.prefixes)

    def _lookup(self, name: str, path: Path, at: Location) -> Any:
        if name in self.scope.values:
            return self.scope.values[name]
        # Name the references that were possible at the same level (siblings of the typo).
        parent = name.rpartition(".")[0] + "."
        known = sorted(key[len(parent) :] for key in self.scope.values if key.startswith(parent))
        hint = (
            f" (known: {', '.join(known)})" if known else f" (nothing is declared under {parent})"
        )
        self.problems.add(path, f"unknown reference << {name} >>{hint}", at)
        return ""


def _is_whole_reference(value: Any) -> bool:
    return isinstance(value, str) and _WHOLE.fullmatch(value) is not None


def _as_text(value: Any, name: str, path: Path, at: Location, problems: Problems) -> str:
    if value is None or isinstance(value, bool | int | float | str):
        return scalar_text(value)
    problems.add(
        path, f"<< {name} >> is a {type(value).__name__} and cannot be part of a string", at
    )
    return ""


def substitute(
    value: Any, scope: Scope, problems: Problems, path: Path = (), at: Location | None = None
) -> Any:
    """A copy of `value` with this pass's references replaced (locations kept)."""
    where = at or getattr(value, "location", None) or Location("<config>", 0)
    return _Pass(scope, problems).value(value, path, where)
