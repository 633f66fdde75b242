"""The prefetcher answers exactly what git.py would have asked git, or nothing at all."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlci.pipeline import git_commands, git_prefetch, git_refs
from mlci.pipeline.changes import Comparison, compute_changes
from mlci.pipeline.changes_request import ChangesRequest, run_changes
from mlci.pipeline.errors import GitError
from mlci.pipeline.git import Diff
from mlci.pipeline.mapping import parse_mapping

from .gitrepo import GitRepo

RULES = parse_mapping("a/.* a true\nb/.* b true\n")


@pytest.fixture(autouse=True)
def _nothing_left_over() -> Iterator[None]:
    yield
    git_prefetch.discard()


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repository = GitRepo(tmp_path / "repo")
    repository.commit({"a/x.py": "1\n", "b/y.py": "1\n"}, "initial")
    repository.branch("feature")
    repository.commit({"a/x.py": "2\n"}, "change a")
    return repository


Answers = tuple[Comparison, Diff, dict[str, Any]]


def answers(repo: Path, base: str = "main") -> Answers:
    result = compute_changes(repo, base, RULES)
    return (result.comparison, result.changes, result.parameters)


def prefetched_answers(repo: Path, spelling: str, base: str = "main") -> Answers:
    git_prefetch.start(spelling, base, "HEAD")
    try:
        return answers(repo, base)
    finally:
        git_prefetch.discard()


def test_a_prefetched_run_answers_as_an_ordinary_one_on_a_feature_branch(repo: GitRepo) -> None:
    expected = answers(repo.root)
    assert expected[2] == {"a": True}
    assert prefetched_answers(repo.root, str(repo.root)) == expected


def test_on_the_base_branch_the_speculative_diff_is_not_used(repo: GitRepo) -> None:
    repo.checkout("main")
    repo.commit({"b/y.py": "2\n"}, "change b on main")
    expected = answers(repo.root)
    assert expected[0].reason == "parent" and expected[2] == {"b": True}
    assert prefetched_answers(repo.root, str(repo.root)) == expected


def test_first_commit_and_unknown_base(tmp_path: Path) -> None:
    first = GitRepo(tmp_path / "first")
    first.commit({"a/x.py": "1\n"})
    assert prefetched_answers(first.root, str(first.root)) == answers(first.root)
    with pytest.raises(GitError, match="base revision 'develop' is not a branch"):
        prefetched_answers(first.root, str(first.root), base="develop")


def test_unrelated_histories_report_the_same_error(repo: GitRepo) -> None:
    repo.git("checkout", "-q", "--orphan", "other")
    repo.commit({"c.txt": "1\n"}, "unrelated")
    with pytest.raises(GitError, match="no common history"):
        prefetched_answers(repo.root, str(repo.root))


def test_the_same_directory_spelt_another_way_still_matches(
    repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo.root / "a")
    git_prefetch.start("..", "main", "HEAD")
    names = git_commands.resolvable(git_commands.comparison_names("main", "HEAD"))
    query = git_commands.resolve_query(names)
    assert git_prefetch.take(str(repo.root / "a"), git_commands.RESOLVE, query) is None
    answer = git_prefetch.take(str(repo.root), git_commands.RESOLVE, query)
    assert answer is not None and answer[1].decode().split("\n")[0] == repo.head()


def test_answers_for_another_repository_are_never_given(repo: GitRepo, tmp_path: Path) -> None:
    other = GitRepo(tmp_path / "other")
    other.commit({"b/z.py": "1\n"}, "initial")
    other.branch("feature")
    other.commit({"b/z.py": "2\n"}, "change b")
    git_prefetch.start(str(repo.root), "main", "HEAD")
    assert answers(other.root)[2] == {"b": True}


def resolve_query() -> bytes:
    return git_commands.resolve_query(
        git_commands.resolvable(git_commands.comparison_names("main", "HEAD"))
    )


def test_answers_are_one_snapshot_even_if_the_branch_moves(repo: GitRepo) -> None:
    git_prefetch.start(str(repo.root), "main", "HEAD")
    before = repo.head()
    assert git_prefetch.take(str(repo.root), git_commands.RESOLVE, resolve_query()) is not None
    repo.commit({"b/y.py": "3\n"}, "a commit lands after git has resolved the names")
    comparison, _, parameters = answers(repo.root)
    assert comparison.head == before
    assert parameters == {"a": True}  # the diff belongs to the head it was resolved with


def test_a_guess_that_git_then_contradicts_is_not_used(
    repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The branch moves after the ref files were read but before git reads them: made certain
    # here by handing the prefetcher the files' answer from before the commit.
    stale = git_refs.guess_commits(str(repo.root), ["HEAD", "main", "origin/main"])
    repo.commit({"b/y.py": "3\n"}, "a commit lands between the guess and git's answer")
    monkeypatch.setattr(git_refs, "guess_commits", lambda repo, names: stale)
    git_prefetch.start(str(repo.root), "main", "HEAD")
    assert git_prefetch._pending_diff is not None  # started from the stale guess
    comparison, _, parameters = answers(repo.root)
    assert comparison.head == repo.head()
    assert parameters == {"a": True, "b": True}  # git's answer, not the guess's diff


def test_without_a_guess_it_waits_for_git_and_starts_from_its_answer(
    repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_DIR", str(repo.root / ".git"))  # the files are not read then
    git_prefetch.start(str(repo.root), "main", "HEAD")
    assert git_prefetch._pending_diff is not None
    assert (repo.root.stat().st_dev, repo.root.stat().st_ino) == git_prefetch._pending_diff[0]
    assert git_prefetch._pending_diff[2] == repo.head()
    assert answers(repo.root)[2] == {"a": True}


def test_discard_stops_every_process_it_started(repo: GitRepo) -> None:
    git_prefetch.start(str(repo.root), "main", "HEAD")
    pids = [process.pid for process in git_prefetch._running.values()]
    assert git_prefetch._pending_diff is not None
    pids.append(git_prefetch._pending_diff[3].pid)
    git_prefetch.discard()
    for pid in pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reaped: nothing of ours is left running or a zombie
    assert git_prefetch.take(str(repo.root), ("merge-base", "a", "b"), None) is None


def test_run_changes_leaves_nothing_behind_and_sees_new_commits(repo: GitRepo) -> None:
    mapping = "a/.* a true\nb/.* b true"
    request = ChangesRequest(repo=repo.root, base_revision="main", mapping=mapping)
    first, _ = run_changes(request)
    assert first.parameters == {"a": True}
    assert not git_prefetch._answers and not git_prefetch._running
    repo.commit({"b/y.py": "4\n"}, "change b too")
    second, _ = run_changes(request)
    assert second.parameters == {"a": True, "b": True}


def test_a_directory_that_does_not_exist_prefetches_nothing(tmp_path: Path) -> None:
    git_prefetch.start(str(tmp_path / "missing"), "main", "HEAD")
    assert not git_prefetch._answers and git_prefetch._pending_diff is None
