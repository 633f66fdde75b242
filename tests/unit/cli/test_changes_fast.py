"""The click-free reader of `mlci changes` arguments reads as click does, or leaves it to click."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mlci
from mlci.cli.changes import changes
from mlci.cli.changes_fast import read_arguments
from tests.unit.pipeline.gitrepo import GitRepo

DEFAULTS: dict[str, Any] = {
    "base_revision": None,
    "head": "HEAD",
    "mapping": None,
    "excludes": (),
    "config_path": None,
    "setup_config": ".circleci/config.yml",
    "since_last_run": False,
    "as_json": False,
    "explain": False,
    "output": None,
    "repo": Path("."),
}


def as_click_reads(values: dict[str, Any]) -> dict[str, Any]:
    typed = {**values}
    for name in ("repo", "output"):
        if name in typed:
            typed[name] = Path(typed[name])
    return {**DEFAULTS, **typed}


def click_reads(argv: list[str]) -> dict[str, Any] | None:
    try:
        context = changes.make_context("changes", list(argv), resilient_parsing=False)
    except (click.exceptions.Exit, click.ClickException):
        return None
    return dict(context.params)


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--json"],
        ["--base", "main", "--mapping", "m.txt", "--json"],
        ["--base=develop", "--head=feature~2", "--explain"],
        ["-C", "repo", "--mapping", "a/.* a true\nb/.* b 1", "--exclude", "x", "--exclude=y"],
        ["--since-last-run", "--config-path", "c.yml", "--setup-config", "s.yml"],
        ["--output", "out.json", "--repo", "somewhere", "--mapping=a=b"],
        ["--base", "one", "--base", "two"],  # the last one wins, in both
    ],
)
def test_plain_spellings_read_as_click_reads_them(argv: list[str]) -> None:
    values = read_arguments(argv)
    assert values is not None
    assert as_click_reads(values) == click_reads(argv)


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["-h"],
        ["--jsn"],
        ["positional"],
        ["--base"],  # a value is missing
        ["--base", "--json"],  # click would take "--json" as the base; let it
        ["-Cfolder"],
        ["-C=folder"],
        ["--json=yes"],
        ["--json", "--explain"],
        ["--repo", ""],
        ["--", "--json"],
    ],
)
def test_anything_else_is_left_to_click(argv: list[str]) -> None:
    assert read_arguments(argv) is None


def test_paths_click_would_refuse_are_left_to_it(tmp_path: Path) -> None:
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    assert read_arguments(["-C", str(a_file)]) is None
    assert read_arguments(["--output", str(tmp_path)]) is None
    assert click_reads(["-C", str(a_file)]) is None
    assert click_reads(["--output", str(tmp_path)]) is None


TOKENS = st.sampled_from(
    [
        "--base", "--head", "--mapping", "--exclude", "--config-path", "--setup-config",
        "--output", "-C", "--repo", "--since-last-run", "--json", "--explain", "--help",
        "main", "HEAD~1", "a/.* p true", "x=y", "--base=main", "--exclude=a|b", "-q", "",
        "--output=o.json", "--repo=.", "ünï code",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(TOKENS, max_size=7))
def test_whenever_it_reads_arguments_click_reads_them_the_same(argv: list[str]) -> None:
    values = read_arguments(argv)
    if values is not None:
        assert as_click_reads(values) == click_reads(argv)


# Each of these, loaded, would cost a sizeable part of a large push's `git diff` (typing, json
# and pathlib through `re`, which loads enum), and the usual invocation needs none of them.
NOT_NEEDED = ("click", "subprocess", "typing", "re", "enum", "json", "pathlib", "dataclasses")


def test_the_scripted_invocation_imports_nothing_it_does_not_need(tmp_path: Path) -> None:
    repository = GitRepo(tmp_path / "repo")
    repository.commit({"a/x.txt": "1\n"}, "first")
    repository.branch("feature")
    repository.commit({"a/x.txt": "2\n"}, "second")
    mapping = tmp_path / "mapping.txt"
    mapping.write_text("a/.* a true\nb/.* b 1\nc/.* c some-text\n")
    argv = ["changes", "-C", str(repository.root), "--base", "main", "--mapping", str(mapping)]
    argv.append("--json")
    code = (
        "import sys; from mlci.cli import main\n"
        f"code = main({argv!r})\n"
        f"print(code, sorted(set({NOT_NEEDED!r}) & set(sys.modules)))"
    )
    # -S and the source folder on the path: this environment's own start-up hooks load typing
    # and re before any of mlci's code runs; no user's install does.
    source_root = Path(mlci.__file__).parents[1]
    result = subprocess.run(
        [sys.executable, "-S", "-c", code], capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONPATH": str(source_root)},
    )  # fmt: skip
    assert result.stdout.splitlines() == ['{"a": true}', "0 []"]
