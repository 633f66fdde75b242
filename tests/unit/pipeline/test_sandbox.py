"""Config paths mapped into a job's sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlci.pipeline.errors import PipelineError
from mlci.pipeline.sandbox import Sandbox


def test_paths_land_inside_the_sandbox(tmp_path: Path) -> None:
    sandbox = Sandbox.create(tmp_path / "job", "~/project")

    assert sandbox.working_directory == tmp_path / "job/home/circleci/project"
    assert sandbox.working_directory.is_dir() and sandbox.tmp.is_dir()
    assert sandbox.map("~") == sandbox.home
    assert sandbox.map("/tmp/workspace") == tmp_path / "job/tmp/workspace"
    assert sandbox.map("/home/circleci/project") == sandbox.working_directory
    assert sandbox.map("out/../build") == sandbox.working_directory / "build"
    assert sandbox.map("") == sandbox.working_directory
    assert sandbox.map("x", relative_to=sandbox.tmp) == sandbox.tmp / "x"


@pytest.mark.parametrize("path", ["../../../../..", "/../../etc", "~/../../../x"])
def test_nothing_escapes(tmp_path: Path, path: str) -> None:
    sandbox = Sandbox.create(tmp_path / "job", "~/project")
    with pytest.raises(PipelineError, match="leads outside the job's file system"):
        sandbox.map(path)


def test_create_starts_clean(tmp_path: Path) -> None:
    first = Sandbox.create(tmp_path / "job", "/app")
    (first.working_directory / "left.txt").write_text("x")

    again = Sandbox.create(tmp_path / "job", "/app")

    assert again.working_directory == tmp_path / "job/app"
    assert list(again.working_directory.iterdir()) == []
