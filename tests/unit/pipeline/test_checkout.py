"""Revisions and clean checkouts, against real repositories."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlci.pipeline import checkout
from mlci.pipeline.errors import GitError, PipelineError
from tests.unit.pipeline.gitrepo import GitRepo


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo(tmp_path / "repo")
    repo.commit({"a.txt": "a\n", ".gitignore": "*.log\n"}, "first")
    return repo


def test_snapshot_holds_the_work_tree_and_leaves_the_index_alone(repo: GitRepo) -> None:
    (repo.root / "a.txt").write_text("changed\n")
    (repo.root / "new.txt").write_text("new\n")
    (repo.root / "debug.log").write_text("ignored\n")
    (repo.root / ".mlci").mkdir()
    (repo.root / ".mlci" / "state.db").write_text("never in a snapshot")
    index_before = (repo.root / ".git" / "index").read_bytes()

    commit = checkout.snapshot_working_tree(repo.root, repo.head())

    files = repo.git("ls-tree", "-r", "--name-only", commit).splitlines()
    assert sorted(files) == [".gitignore", "a.txt", "new.txt"]
    assert checkout.read_file_at(repo.root, commit, "a.txt") == "changed\n"
    assert repo.git("rev-parse", f"{commit}^") == repo.head()
    assert (repo.root / ".git" / "index").read_bytes() == index_before
    assert not list((repo.root / ".git").glob("mlci-index-*"))


def test_a_clean_work_tree_snapshots_to_head(repo: GitRepo) -> None:
    assert checkout.snapshot_working_tree(repo.root, repo.head()) == repo.head()


def test_checkout_into_a_directory_that_has_files(repo: GitRepo, tmp_path: Path) -> None:
    target = tmp_path / "job" / "project"
    target.mkdir(parents=True)
    (target / "from-workspace.txt").write_text("kept\n")

    checkout.checkout(repo.root, repo.head(), "main", target)

    assert (target / "a.txt").read_text() == "a\n"
    assert (target / "from-workspace.txt").read_text() == "kept\n"
    clone = GitRepo.__new__(GitRepo)
    clone.root = target
    assert clone.git("rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert clone.git("rev-parse", "HEAD") == repo.head()
    assert clone.git("remote", "get-url", "origin") == str(repo.root)
    with pytest.raises(PipelineError, match="already holds a git repository"):
        checkout.checkout(repo.root, repo.head(), "main", target)


def test_resolving_sources(repo: GitRepo) -> None:
    repo.branch("feature")
    tip = repo.commit({"b.txt": "b"}, "b")
    repo.checkout("main")

    assert checkout.resolve_source(repo.root, "feature", False).revision == tip
    assert checkout.resolve_source(repo.root, None, False).branch == "main"
    with pytest.raises(PipelineError, match="there is no local branch 'gone'"):
        checkout.resolve_source(repo.root, "gone", False)
    assert checkout.read_file_at(repo.root, repo.head(), "missing.txt") is None
    with pytest.raises(GitError, match="failed"):
        checkout.checkout(repo.root, "0" * 40, None, repo.root.parent / "x")
