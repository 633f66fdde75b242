"""Project variables and contexts in private files."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from mlci.pipeline import env_store
from mlci.pipeline.errors import PipelineError


def test_set_list_unset_with_private_modes(tmp_path: Path) -> None:
    env_store.set_variable(tmp_path, "TOKEN", "v1")
    env_store.set_variable(tmp_path, "TOKEN", "v2")
    env_store.set_variable(tmp_path, "KEY", "k", context="prod")

    assert env_store.project_variables(tmp_path) == {"TOKEN": "v2"}
    assert env_store.context_variables(tmp_path, "prod") == {"KEY": "k"}
    assert env_store.context_variables(tmp_path, "staging") is None
    assert env_store.contexts(tmp_path) == ["prod"]
    for path in (tmp_path / ".mlci/env/project.json", tmp_path / ".mlci/env/contexts/prod.json"):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / ".mlci/env").st_mode) == 0o700
    assert env_store.unset_variable(tmp_path, "TOKEN") is True
    assert env_store.unset_variable(tmp_path, "TOKEN") is False
    assert list((tmp_path / ".mlci/env").glob(".*tmp")) == []


@pytest.mark.parametrize("name", ["1A", "A-B", "", "A B", "é"])
def test_bad_names(tmp_path: Path, name: str) -> None:
    with pytest.raises(PipelineError, match="is not a valid environment variable name"):
        env_store.set_variable(tmp_path, name, "x")


@pytest.mark.parametrize("context", ["../x", "", ".hidden", "a/b"])
def test_bad_context_names(tmp_path: Path, context: str) -> None:
    with pytest.raises(PipelineError, match="is not a valid context name"):
        env_store.set_variable(tmp_path, "A", "x", context=context)


@pytest.mark.parametrize("content", ["not json", "[1]", '{"A": 1}'])
def test_damaged_files_are_reported(tmp_path: Path, content: str) -> None:
    path = tmp_path / ".mlci/env/project.json"
    path.parent.mkdir(parents=True)
    path.write_text(content)
    with pytest.raises(PipelineError, match=r"project\.json"):
        env_store.project_variables(tmp_path)
