"""Atomic writes and pipeline values read from a repository."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from mlci.pipeline.files import write_atomically
from mlci.pipeline.values import PipelineValues

from .gitrepo import GitRepo


def test_write_replaces_whole_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "out.json"
    write_atomically(target, "first")
    write_atomically(target, "second")
    assert target.read_text(encoding="utf-8") == "second"
    assert [p.name for p in target.parent.iterdir()] == ["out.json"]


def test_a_temporary_left_by_a_crash_is_replaced(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    stale = tmp_path / f".out.json.{os.getpid()}-{threading.get_ident()}.tmp"
    stale.write_text("half", encoding="utf-8")
    write_atomically(target, "whole")
    assert target.read_text(encoding="utf-8") == "whole" and not stale.exists()


def test_a_failed_write_keeps_the_old_content(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    write_atomically(target, "old")
    with pytest.raises(UnicodeEncodeError):
        write_atomically(target, "bad \udcff surrogate")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_values_from_a_repository(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    head = repo.commit({"a": "1\n"})
    values = PipelineValues.from_repository(repo.root, number=4)
    assert (values.git_branch, values.git_revision, values.number) == ("main", head, 4)
    assert values.git_branch_is_default is True and values.git_tag is None
    environment = values.environment()
    assert environment["pipeline.git.branch"] == "main"
    assert environment["pipeline.number"] == 4
    tagged = PipelineValues.from_repository(repo.root, tag="v1")
    assert (tagged.git_branch, tagged.git_tag, tagged.git_branch_is_default) == (None, "v1", None)
