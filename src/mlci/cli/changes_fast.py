"""`mlci changes` without click, for the way scripts and CI call it.

Importing click costs more than the `git diff` of a 20,000-file push, and `mlci changes` is
meant to cost little more than that diff. So the usual spellings of its options are read here,
with nothing imported, and git is set to work (git_prefetch.py) before the rest of mlci loads.

The click command in changes.py remains the definition of `mlci changes`: its help, its
errors and every spelling click accepts. This reader takes only `--option value`,
`--option=value` and the flags, and hands anything else back to click unread: help, an unknown
option, a missing value, a value that looks like an option, both --json and --explain, a path
click's checks would refuse. tests/unit/cli/test_changes_fast.py holds the two to the same
reading of the same arguments.
"""

from __future__ import annotations

import gc
import os
import sys

TYPE_CHECKING = False  # not typing's: importing typing would delay the git diff's start
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from mlci.pipeline.changes_request import ChangesRequest

# option -> ChangesRequest field (or one of the command's own settings: output, as_json, explain)
_VALUE_OPTIONS = {
    "--base": "base_revision",
    "--head": "head",
    "--mapping": "mapping",
    "--exclude": "excludes",
    "--config-path": "config_path",
    "--setup-config": "setup_config",
    "--output": "output",
    "-C": "repo",
    "--repo": "repo",
}
_FLAGS = {"--since-last-run": "since_last_run", "--json": "as_json", "--explain": "explain"}


def read_arguments(argv: list[str]) -> dict[str, Any] | None:
    """The options as click would read them, or None where click should read them itself."""
    values: dict[str, Any] = {}
    excludes: list[str] = []
    index = 0
    while index < len(argv):
        name, equals, value = argv[index].partition("=")
        if name in _FLAGS and not equals:
            values[_FLAGS[name]] = True
        elif name in _VALUE_OPTIONS:
            if not equals:
                index += 1
                if index == len(argv) or argv[index].startswith("-"):
                    return None
                value = argv[index]
            if name == "-C" and equals:
                return None  # click reads `-C=x` as the directory "=x"; leave that to it
            if _VALUE_OPTIONS[name] == "excludes":
                excludes.append(value)
            else:
                values[_VALUE_OPTIONS[name]] = value
        else:
            return None
        index += 1
    if values.get("as_json") and values.get("explain"):
        return None
    repo, output = values.get("repo", "."), values.get("output")
    if repo == "" or os.path.isfile(repo) or output == "":
        return None
    if output is not None and os.path.isdir(output):
        return None
    values["excludes"] = tuple(excludes)
    return values


def run_without_click(argv: list[str]) -> int | None:
    """Run `mlci changes`; None if click must read these arguments (nothing has run then)."""
    values = read_arguments(argv)
    if values is None:
        return None
    # A short run that makes tens of thousands of objects on a large push (a record per mapping
    # line, a string per changed path) and no garbage cycles: the collector's passes over them
    # would cost more than a tenth of the run, and would find nothing to free.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _run(values)
    finally:
        if collecting:
            gc.enable()


def _run(values: dict[str, Any]) -> int:
    if values.get("base_revision"):
        from mlci.pipeline import git_prefetch

        head = values.get("head", "HEAD")
        git_prefetch.start(values.get("repo", "."), values["base_revision"], head)
    from mlci.pipeline.changes_request import ChangesRequest
    from mlci.pipeline.errors import PipelineError

    as_json = values.pop("as_json", False)
    explain = values.pop("explain", False)
    output = values.pop("output", None)
    request = ChangesRequest(**{"repo": ".", **values})
    if output:
        from pathlib import Path

        output = Path(output)
    try:
        lines = execute(request, as_json, explain, output)
    except PipelineError as exc:
        sys.stderr.write(f"Error: {exc}\n")  # as click prints a ClickException
        return 1
    sys.stdout.write(lines + "\n")
    return 0


def execute(request: ChangesRequest, as_json: bool, explain: bool, output: Path | None) -> str:
    """What `mlci changes` prints for this request; raises PipelineError."""
    from mlci.pipeline.changes_request import run_changes, write_parameters

    result, settings = run_changes(request)
    if output is not None:
        write_parameters(output, result)
    if as_json:
        return result.parameters_json()
    from mlci.pipeline.changes_report import explain_lines, summary_lines

    return "\n".join(explain_lines(result, settings) if explain else summary_lines(result))
