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
import itertools

from mlci.named_tuple import NamedTuple
from mlci.pipeline.errors import Location, Problems

TYPE_CHECKING = False  # typing's would load typing: this module is on `mlci changes`'s path
if TYPE_CHECKING:
    import re
    from collections.abc import Sequence
    from typing import Any

# Nothing here imports `re` or `json` until a pattern or a value needs them: on a large push
# `mlci changes` would spend on loading them (and `enum`, which `re` loads) a third of the time
# its `git diff` takes, and the usual mapping (`folder/.* parameter true`) needs neither.
_METACHARACTERS = frozenset(".^$*+?{}[]\\|()")
# Escaped punctuation that still stands for itself (so `abc\.py` is the literal text abc.py).
_ESCAPED_LITERALS = frozenset(".-/_ ,:;=@%&#~!'\"<>`")
_OPTIONAL_QUANTIFIERS = frozenset("*?{")

# The records below are NamedTuples, not dataclasses: a 2,000-line mapping makes thousands of
# them per run and `mlci changes` is meant to cost little more than the `git diff` it runs.


class PatternError(ValueError):
    """A mapping or exclude regex that does not compile; `position` is where in the text."""

    def __init__(self, message: str, position: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


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


def first_matches(patterns: Sequence[PathPattern], sorted_paths: Sequence[str]) -> list[str | None]:
    """`pattern.first_match(sorted_paths)` for each pattern, at a fraction of the cost: all
    the bisections run in one call, and an exact or `dir/.*` pattern (nearly every line of a
    real mapping) is then settled by the one path its bisection lands on."""
    count = len(sorted_paths)
    starts = map(bisect.bisect_left, itertools.repeat(sorted_paths), [p.prefix for p in patterns])
    found: list[str | None] = []
    for pattern, start in zip(patterns, starts, strict=True):
        path = sorted_paths[start] if start < count else None
        if path is None or not path.startswith(pattern.prefix):
            found.append(None)  # every match starts with the prefix, and no path does
        elif pattern.kind == "exact":
            found.append(path if path == pattern.prefix else None)
        elif pattern.kind == "prefix-any" and "\n" not in path:
            found.append(path)
        else:  # a regex, or a path `.*` cannot cross: search on from here
            found.append(pattern.first_match(sorted_paths))
    return found


def compile_path_pattern(source: str) -> PathPattern:
    """Compile a mapping or exclude regex; raises PatternError if it is not a valid regex."""
    # The usual shapes, `dir/.*` and `exact/path`, checked at C speed before any parsing.
    if _METACHARACTERS.isdisjoint(source):
        return PathPattern(source, source, "exact")
    if source.endswith(".*") and _METACHARACTERS.isdisjoint(source[:-2]):
        return PathPattern(source, source[:-2], "prefix-any")
    literal, rest = _split_literal_prefix(source)
    if rest == "":
        return PathPattern(source, literal, "exact")
    if rest == ".*":
        return PathPattern(source, literal, "prefix-any")
    import re

    try:
        regex = re.compile(source)
    except re.error as exc:
        raise PatternError(exc.msg, exc.pos) from None
    prefix = "" if (regex.flags & re.IGNORECASE or _has_top_level_alternation(source)) else literal
    return PathPattern(source, prefix, "regex", regex)


def _split_literal_prefix(source: str) -> tuple[str, str]:
    """(literal text every match starts with, the rest of the pattern)."""
    literal: list[str] = []
    end = 0
    while end < len(source):
        char = source[end]
        if char == "\\" and source[end + 1 : end + 2] in _ESCAPED_LITERALS:
            literal.append(source[end + 1])
            end += 2
        elif char in _METACHARACTERS:
            break
        else:
            literal.append(char)
            end += 1
    rest = source[end:]
    if rest and rest[0] in _OPTIONAL_QUANTIFIERS and literal:
        # `ab?c`: the quantifier makes the last literal optional, so it is not part of the
        # prefix; give that character back to the rest, as written (escaped or not).
        cut = end - 2 if end >= 2 and source[end - 2] == "\\" else end - 1
        return "".join(literal[:-1]), source[cut:]
    return "".join(literal), rest


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


# JSON texts the usual mapping values are, read without loading json.
_JSON_WORDS = {"true": True, "false": False, "null": None}
_JSON_STARTS = frozenset('{["-0123456789tfn')


def parse_value(raw: str) -> Any:
    """JSON if it parses as JSON (NaN and Infinity excluded), else the text itself."""
    if raw in _JSON_WORDS:
        return _JSON_WORDS[raw]
    if raw[:1] not in _JSON_STARTS:
        return raw  # nothing JSON can start with (a mapping field has no spaces to strip)
    digits = raw[1:] if raw[:1] == "-" else raw
    if digits.isascii() and digits.isdigit() and (digits == "0" or digits[0] != "0"):
        return int(raw)
    import json

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
    except PatternError as exc:
        column = where.column + (exc.position or 0)
        message = f"invalid {what} regex {source!r}: {exc.message}"
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
