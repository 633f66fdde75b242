"""Human-readable accounts of a ChangesResult: a summary, and `--explain`'s full story."""

from __future__ import annotations

import json
from collections import Counter

from mlci.pipeline.changes import ChangesResult, RuleMatch
from mlci.pipeline.changes_request import FilterSettings

_STATUS_WORDS = {"A": "added", "M": "modified", "D": "deleted", "R": "renamed", "C": "copied"}
_LIST_LIMIT = 20


def _json(value: object) -> str:
    return json.dumps(value)


def _changes_line(result: ChangesResult) -> str:
    counts = Counter(result.changes.statuses)
    parts = [f"{counts[s]} {_STATUS_WORDS.get(s, s)}" for s in sorted(counts)]
    detail = f" ({', '.join(parts)})" if parts else ""
    excluded = f", {len(result.excluded)} excluded" if result.excluded else ""
    return f"{result.changes.size} files changed{detail}{excluded}"


def summary_lines(result: ChangesResult) -> list[str]:
    lines = [result.comparison.describe(), _changes_line(result)]
    if not result.parameters:
        lines.append("No change detected in the paths defined in the mapping")
    for name, value in result.parameters.items():
        lines.append(f"  {name} = {_json(value)}")
    lines.append(f"Continue with: {', '.join(result.config_files)}")
    return lines


def explain_lines(result: ChangesResult, settings: FilterSettings) -> list[str]:
    lines = [f"Settings from {settings.origin}: base revision {settings.base_revision!r}"]
    lines += [f"  note: {note}" for note in settings.notes]
    lines += [result.comparison.describe(), _changes_line(result)]
    for path, rule in result.excluded[:_LIST_LIMIT]:
        lines.append(f"  excluded {path} by {rule.location} {rule.pattern.source!r}")
    if len(result.excluded) > _LIST_LIMIT:
        lines.append(f"  … and {len(result.excluded) - _LIST_LIMIT} more excluded")
    lines.append("Parameters:" if result.parameters else "Parameters: none set")
    matches, sources = result.matches, result.parameter_sources
    setting: dict[str, list[RuleMatch]] = {}  # parameter -> every line that matched and sets it
    for match in matches:
        if match.path and match.rule.parameter is not None:
            setting.setdefault(match.rule.parameter, []).append(match)
    for name, value in result.parameters.items():
        source = sources[name]
        lines.append(
            f"  {name} = {_json(value)}  ← {source.rule.location} {source.rule.pattern.source!r}"
            f" matched {source.path}"
        )
        overridden = [match for match in setting[name] if match != source]
        for match in overridden:
            lines.append(
                f"      (line {match.rule.line} also matched {match.path}; the last line wins)"
            )
    plain = [m for m in matches if m.path and m.rule.parameter is None]
    if plain:
        lines.append("Lines without a parameter that matched:")
        lines += [f"  {m.rule.describe()} matched {m.path}" for m in plain]
    unmatched = [m.rule for m in matches if m.path is None]
    if unmatched:
        lines.append("Mapping lines that matched nothing:")
        lines += [f"  {rule.describe()}" for rule in unmatched]
    lines.append(f"Continue with: {', '.join(result.config_files)}")
    return lines
