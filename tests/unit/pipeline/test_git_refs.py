"""Reading refs from the files gives git's own answer, or says it cannot tell."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mlci.pipeline.git_refs import guess_commits

from .gitrepo import GitRepo


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    """main and feature, a clone's remote-tracking refs, a tag; HEAD on feature."""
    origin = GitRepo(tmp_path / "origin")
    origin.commit({"a/x.py": "1\n"}, "initial")
    origin.branch("release")
    origin.commit({"a/x.py": "2\n"}, "release work")
    origin.checkout("main")
    subprocess.run(
        ["git", "clone", "-q", str(origin.root), str(tmp_path / "repo")], check=True
    )  # fmt: skip
    repository = GitRepo(tmp_path / "repo")  # `git init` again is harmless
    repository.branch("feature")
    repository.commit({"a/x.py": "3\n"}, "feature work")
    repository.git("tag", "v1", "main")
    return repository


def git_answer(repo: GitRepo, name: str) -> str:
    """What git says the name points at: the commit, or "" if it names nothing."""
    result = subprocess.run(
        ["git", "-C", str(repo.root), "rev-parse", "--verify", "--quiet", f"{name}^{{commit}}"],
        capture_output=True, text=True,
    )  # fmt: skip
    return result.stdout.strip()


NAMES = [
    "HEAD", "main", "feature", "origin/main", "origin/release", "release", "origin/HEAD",
    "origin", "refs/heads/main", "refs/remotes/origin/release", "nothing", "heads/main",
]  # fmt: skip


def check_agrees_with_git(repo: GitRepo) -> None:
    for name in NAMES:
        guessed = guess_commits(str(repo.root), [name])
        assert guessed is not None, name
        assert guessed == [git_answer(repo, name)], name


def test_loose_refs_give_gits_answers(repo: GitRepo) -> None:
    repo.git("update-ref", "refs/heads/loose-only", "HEAD")
    check_agrees_with_git(repo)


def test_packed_refs_give_gits_answers(repo: GitRepo) -> None:
    repo.git("pack-refs", "--all")
    assert not (repo.root / ".git/refs/heads/main").exists()
    check_agrees_with_git(repo)
    repo.commit({"a/x.py": "4\n"}, "a loose ref again, newer than the packed one")
    check_agrees_with_git(repo)


def test_a_branch_only_the_remote_has_is_missing_locally(repo: GitRepo) -> None:
    assert guess_commits(str(repo.root), ["release", "origin/release"]) == [
        "", git_answer(repo, "origin/release")
    ]


def test_detached_head_and_a_full_commit_id(repo: GitRepo) -> None:
    commit = repo.head()
    repo.git("checkout", "-q", "--detach", "main")
    assert guess_commits(str(repo.root), ["HEAD", commit]) == [git_answer(repo, "main"), commit]


def test_a_subdirectory_finds_its_repository(repo: GitRepo) -> None:
    assert guess_commits(str(repo.root / "a"), ["HEAD"]) == [repo.head()]


@pytest.mark.parametrize(
    "name", ["v1", "HEAD~1", "main^", "@", "main@{1}", "HEAD:a", "-x", "a..b", "main.lock", ""]
)
def test_tags_and_revision_syntax_are_left_to_git(repo: GitRepo, name: str) -> None:
    assert guess_commits(str(repo.root), ["HEAD", name]) is None


def test_a_worktree_or_a_relocated_repository_is_left_to_git(
    repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.git("worktree", "add", "-q", str(tmp_path / "tree"), "main")
    assert guess_commits(str(tmp_path / "tree"), ["HEAD"]) is None
    monkeypatch.setenv("GIT_DIR", str(repo.root / ".git"))
    assert guess_commits(str(repo.root), ["HEAD"]) is None


def test_outside_any_repository_nothing_is_guessed(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    assert guess_commits(str(tmp_path / "plain"), ["HEAD"]) is None


def test_unreadable_ref_contents_are_left_to_git(repo: GitRepo) -> None:
    (repo.root / ".git/refs/heads/odd").write_text("not a ref\n")
    (repo.root / ".git/refs/heads/dangling").write_text("ref: refs/heads/gone\n")
    assert guess_commits(str(repo.root), ["odd"]) is None
    assert guess_commits(str(repo.root), ["dangling"]) is None
