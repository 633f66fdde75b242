"""Path-filtering mapping and exclude lines, and matching them fast against many paths.

A mapping line is `path-regex [parameter value] [config-file]` (1 to 4 whitespace-separated
fields, as the circleci/path-filtering orb reads them): 1 field is a path only, 2 a path and a
config file, 3 a path, parameter and value, 4 all of them. Blank lines and `#` lines are
skipped. Each regex must match the whole path. A value that parses as JSON is taken as JSON,
anything else as a string (`true` is a boolean, `"x"` and `x` are both the string x).

Regexes are Python `re` patterns matched with `fullmatch`; the orb uses grep/bash/Python
regexes anchored as `^…$`. The two differ only at the edges: here an alternation `a|b` is
anchored as a whole (the orb's `^a|b$` anchors only its ends), and `\\d`/`\\w` accept Unicode
digits and letters as PCRE does in UTF mode.
"""

from __future__ import annotations

import bisect
import functools
import json
import re
from collections.abc import Sequence
from typing import Any, NamedTuple

from mlci.pipeline.errors import Location, Problems

_OPTIONAL_QUANTIFIERS = frozenset("*?{")
# A run of characters that match themselves: anything but a regex metacharacter, or an
# escaped punctuation character (so `abc\.py` is still the literal text `abc.py`).
_LITERAL_RUN = re.compile(r"(?:[^.^$*+?{}\[\]\\|()]|\\[.\-/_ ,:;=@%&#~!'\"<>`])*")
_ESCAPE = re.compile(r"\\(.)")

# The records below are NamedTuples, not dataclasses: a 2,000-line mapping makes thousands of
# them per run and `mlci changes` is meant to cost little more than the `git diff` it runs.


class PathPattern(NamedTuple):
    """A regex that must match a whole path, with a literal prefix every match starts with.

    The prefix lets a sorted path list be narrowed by bisection before any regex runs; for the
    common shapes `dir/.*` and `exact/path` no regex runs at all.
    """

    source: str
    prefix: str
    kind: str  # "exact", "prefix-any" (literal then `.*`) or "regex"
    regex: re.Pattern[str] | None = None

    def matches(self, path: str) -> bool:
        if self.regex is not None:
            return self.regex.fullmatch(path) is not None
        if self.kind == "exact":
            return path == self.prefix
        # `.` does not match a newline, so neither does the `.*` after the prefix.
        return path.startswith(self.prefix) and "\n" not in path[len(self.prefix) :]

    def first_match(self, sorted_paths: Sequence[str]) -> str | None:
        """The first path (in sorted order) this pattern matches, or None."""
        # `matches` inlined: this runs once per mapping line of every `mlci changes`.
        prefix, regex = self.prefix, self.regex
        start = bisect.bisect_left(sorted_paths, prefix)
        if regex is None and self.kind == "exact":
            found = start < len(sorted_paths) and sorted_paths[start] == prefix
            return prefix if found else None
        for index in range(start, len(sorted_paths)):
            path = sorted_paths[index]
            if not path.startswith(prefix):
                return None
            if regex is None:
                if path.find("\n", len(prefix)) < 0:
                    return path
            elif regex.fullmatch(path) is not None:
                return path
        return None


def compile_path_pattern(source: str) -> PathPattern:
    """Compile a mapping or exclude regex; raises re.error if it is not a valid regex."""
    literal, rest = _split_literal_prefix(source)
    if rest == "":
        return PathPattern(source, literal, "exact")
    if rest == ".*":
        return PathPattern(source, literal, "prefix-any")
    regex = re.compile(source)
    prefix = "" if (regex.flags & re.IGNORECASE or _has_top_level_alternation(source)) else literal
    return PathPattern(source, prefix, "regex", regex)


def _split_literal_prefix(source: str) -> tuple[str, str]:
    """(literal text every match starts with, the rest of the pattern)."""
    run = _LITERAL_RUN.match(source)
    end = run.end() if run else 0
    written, rest = source[:end], source[end:]
    if rest and rest[0] in _OPTIONAL_QUANTIFIERS and written:
        # `ab?c`: the quantifier makes the last literal optional, so it is not part of the
        # prefix; give that character back to the rest, as written (escaped or not).
        cut = end - 2 if end >= 2 and source[end - 2] == "\\" else end - 1
        written, rest = source[:cut], source[cut:]
    literal = _ESCAPE.sub(r"\1", written) if "\\" in written else written
    return literal, rest


def _has_top_level_alternation(source: str) -> bool:
    depth = 0
    in_class = False
    index = 0
    while index < len(source):
        char = source[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return True
        index += 1
    return False


class MappingRule(NamedTuple):
    """One mapping line. `parameter`/`value` are None for 1- and 2-field lines."""

    location: Location
    pattern: PathPattern
    parameter: str | None = None
    raw_value: str | None = None
    value: Any = None
    config_file: str | None = None

    @property
    def line(self) -> int:
        return self.location.line

    def describe(self) -> str:
        text = f"line {self.line} {self.pattern.source!r}"
        if self.parameter is not None:
            text += f" → {self.parameter} {self.raw_value}"
        if self.config_file is not None:
            text += f" (config {self.config_file})"
        return text


class ExcludeRule(NamedTuple):
    location: Location
    pattern: PathPattern


@functools.lru_cache(maxsize=1024)
def parse_value(raw: str) -> Any:
    """JSON if it parses as JSON (NaN and Infinity excluded), else the text itself."""
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except ValueError:
        return raw


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _content_lines(text: str) -> list[tuple[int, int, str]]:
    """(line number, column of first field, stripped line) for each non-blank, non-# line."""
    lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            lines.append((number, len(line) - len(line.lstrip()) + 1, stripped))
    return lines


def _compile_at(source: str, where: Location, what: str, problems: Problems) -> PathPattern | None:
    try:
        return compile_path_pattern(source)
    except re.error as exc:
        column = where.column + (exc.pos or 0)
        message = f"invalid {what} regex {source!r}: {exc.msg}"
        problems.add((), message, Location(where.file, where.line, column))
        return None


def parse_mapping(text: str, source: str = "mapping") -> tuple[MappingRule, ...]:
    """Parse mapping text; every bad line is reported at once as `source:line:col`."""
    problems = Problems()
    rules: list[MappingRule] = []
    for number, column, line in _content_lines(text):
        where = Location(source, number, column)
        fields = line.split()
        if len(fields) > 4:
            problems.add(
                (),
                f"a mapping line has 1 to 4 fields (path-regex [parameter value] [config-file]),"
                f" this one has {len(fields)}",
                where,
            )
            continue
        pattern = _compile_at(fields[0], where, "mapping", problems)
        if pattern is not None:
            rules.append(_rule(where, pattern, fields))
    problems.raise_if_any()
    return tuple(rules)


def _rule(where: Location, pattern: PathPattern, fields: list[str]) -> MappingRule:
    if len(fields) == 1:
        return MappingRule(where, pattern)
    if len(fields) == 2:
        return MappingRule(where, pattern, config_file=fields[1])
    config_file = fields[3] if len(fields) == 4 else None
    return MappingRule(where, pattern, fields[1], fields[2], parse_value(fields[2]), config_file)


def parse_excludes(text: str, source: str = "exclude") -> tuple[ExcludeRule, ...]:
    """One regex per line (blank lines skipped); a path matching any of them is ignored."""
    problems = Problems()
    rules: list[ExcludeRule] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        where = Location(source, number, len(line) - len(line.lstrip()) + 1)
        pattern = _compile_at(stripped, where, "exclude", problems)
        if pattern is not None:
            rules.append(ExcludeRule(where, pattern))
    problems.raise_if_any()
    return tuple(rules)


def first_exclude(rules: Sequence[ExcludeRule], path: str) -> ExcludeRule | None:
    for rule in rules:
        if rule.pattern.matches(path):
            return rule
    return None
