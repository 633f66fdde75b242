"""Pipeline values read from a repository (atomic writes: tests/unit/test_files.py)."""

from __future__ import annotations

from pathlib import Path

from mlci.pipeline.values import PipelineValues

from .gitrepo import GitRepo


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
