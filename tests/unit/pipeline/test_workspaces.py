"""Workspace layers, artifacts and test results on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlci.pipeline.errors import PipelineError
from mlci.pipeline.workspaces import Workspaces


def test_persist_globs_and_attach_in_order(tmp_path: Path) -> None:
    spaces = Workspaces(tmp_path / "pipeline")
    root = tmp_path / "work"
    (root / "models").mkdir(parents=True)
    (root / "models" / "a.bin").write_text("a1")
    (root / "models" / "b.bin").write_text("b1")
    (root / ".hidden").write_text("h")
    (root / "version").write_text("1")

    assert spaces.persist(10, root, ["models/*.bin", ".hidden", "version"]) == [
        "models/a.bin",
        "models/b.bin",
        ".hidden",
        "version",
    ]
    (root / "version").write_text("2")
    spaces.persist(11, root, ["version"])

    target = tmp_path / "attached"
    assert spaces.attach([10, 11, 99], target) == 2
    assert (target / "models" / "b.bin").read_text() == "b1"
    assert (target / "version").read_text() == "2"  # the later layer wins


def test_persist_refuses_what_is_not_there(tmp_path: Path) -> None:
    spaces = Workspaces(tmp_path / "pipeline")
    (tmp_path / "root").mkdir()
    with pytest.raises(PipelineError, match="'nothing' matches no file under the root"):
        spaces.persist(1, tmp_path / "root", ["nothing"])
    with pytest.raises(PipelineError, match="is not a directory"):
        spaces.persist(1, tmp_path / "missing", ["x"])
    with pytest.raises(PipelineError, match="leads outside root"):
        spaces.persist(1, tmp_path / "root", ["../root"])


def test_store_files_and_directories(tmp_path: Path) -> None:
    spaces = Workspaces(tmp_path / "pipeline")
    (tmp_path / "reports" / "sub").mkdir(parents=True)
    (tmp_path / "reports" / "sub" / "junit.xml").write_text("<x/>")
    (tmp_path / "one.txt").write_text("12345")

    assert spaces.store("artifacts", 3, tmp_path / "one.txt", "out/one.txt") == [("out/one.txt", 5)]
    assert spaces.store("test-results", 3, tmp_path / "reports", "reports") == [
        ("reports/sub/junit.xml", 4)
    ]
    assert spaces.store("artifacts", 3, tmp_path / "absent", "absent") == []
