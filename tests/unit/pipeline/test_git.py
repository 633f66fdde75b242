"""The git layer against real repositories, including the ways git can say no."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlci.pipeline import git
from mlci.pipeline.errors import GitError

from .gitrepo import GitRepo


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repository = GitRepo(tmp_path / "repo")
    repository.commit({"a.txt": "a\n", "dir/b.txt": "b\n"}, "first")
    return repository


def test_lookups(repo: GitRepo) -> None:
    head = repo.head()
    assert git.repository_root(repo.root / "dir") == repo.root
    assert git.resolve_commits(repo.root, []) == []
    assert git.resolve_commits(repo.root, ["HEAD", "main", "nope", "", "two\nlines"]) == [
        head, head, None, None, None,
    ]  # fmt: skip
    assert git.current_branch(repo.root) == "main"
    repo.git("checkout", "-q", "--detach")
    assert git.current_branch(repo.root) is None
    assert git.empty_tree(repo.root) == git.EMPTY_TREE_SHA1
    assert git.is_shallow(repo.root) is False
    assert git.is_shallow_boundary(repo.root, head) is False


def test_copies_count_under_their_new_path(repo: GitRepo) -> None:
    diff = git.parse_name_status(b"C075\0src/a.py\0src/b.py\0M\0c\0")
    assert list(diff.entries()) == [
        git.FileChange("C", "src/b.py", "src/a.py"),
        git.FileChange("M", "c"),
    ]
    assert diff.size == 2


def test_failures_carry_gits_own_message(repo: GitRepo, tmp_path: Path) -> None:
    with pytest.raises(GitError, match="git rev-parse --show-toplevel failed: fatal: not a git"):
        git.repository_root(tmp_path)
    with pytest.raises(GitError, match=r"git merge-base deadbeef HEAD failed: .*deadbeef"):
        git.merge_base(repo.root, "deadbeef", "HEAD")
    with pytest.raises(GitError, match="git merge-base --is-ancestor deadbeef HEAD failed"):
        git.is_ancestor(repo.root, "deadbeef", "HEAD")
    with pytest.raises(GitError, match=r"git diff --name-status .* failed: fatal: bad object"):
        git.diff_name_status(repo.root, "0" * 40, "HEAD")
    with pytest.raises(GitError, match="git cat-file --batch-check failed"):
        git.resolve_commits(tmp_path, ["HEAD"])


def test_git_missing_from_path(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(repo.root / "no-such-dir"))
    with pytest.raises(GitError, match="git is not installed or not on PATH"):
        git.repository_root(repo.root)
