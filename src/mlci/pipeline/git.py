"""The few git questions the pipeline asks, each one subprocess with `-z` output where paths appear.

Paths come back as str decoded from UTF-8 with surrogateescape, so any byte sequence git stores
survives the round trip. Functions that look something up return None when git says "no such
thing" and raise GitError for anything else, with git's own message.
"""

from __future__ import annotations

import os
from types import MappingProxyType

from mlci.named_tuple import NamedTuple
from mlci.pipeline import git_commands, git_prefetch
from mlci.pipeline.errors import GitError

TYPE_CHECKING = False  # typing's would load typing: this module is on `mlci changes`'s path
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from pathlib import Path
    from typing import TypeAlias

    # Where to run git: any spelling of a directory in the work tree (str or Path).
    RepoPath: TypeAlias = str | os.PathLike[str]

# Statuses that come without a score or a second path (everything but R and C).
_PLAIN_STATUSES = frozenset("AMDTUX")
# The id of the empty tree in SHA-1 repositories; SHA-256 repositories ask git (empty_tree()).
EMPTY_TREE_SHA1 = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


class FileChange(NamedTuple):
    """One entry of `git diff --name-status`: A, M, D, T, R (renamed) or C (copied)."""

    status: str
    path: str
    old_path: str | None = None


class Diff(NamedTuple):
    """The entries of a diff as parallel columns; `entries()` gives FileChange records.

    Columns because a large push has tens of thousands of entries and building an object
    per entry would cost more than the `git diff` that produced them.
    """

    statuses: tuple[str, ...] = ()  # one letter per entry
    paths: tuple[str, ...] = ()
    old_paths: Mapping[int, str] = MappingProxyType({})  # entry index -> old path (R, C)

    @property
    def size(self) -> int:
        return len(self.paths)

    def entries(self) -> Iterator[FileChange]:
        for index, (status, path) in enumerate(zip(self.statuses, self.paths, strict=True)):
            yield FileChange(status, path, self.old_paths.get(index))


class GitResult(NamedTuple):
    returncode: int
    stdout: bytes
    stderr: bytes


def _git(repo: RepoPath, *args: str, input_bytes: bytes | None = None) -> GitResult:
    prefetched = git_prefetch.take(os.fspath(repo), args, input_bytes)
    if prefetched is not None:
        return GitResult(*prefetched)
    import subprocess  # here: `mlci changes` usually has all its answers prefetched

    try:
        command = ["git", "-C", os.fspath(repo), *args]
        result = subprocess.run(command, input=input_bytes, capture_output=True, check=False)
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None
    return GitResult(result.returncode, result.stdout, result.stderr)


def _fail(args: tuple[str, ...], result: GitResult) -> GitError:
    answer = result.stderr.decode("utf-8", "replace").strip() or f"exit status {result.returncode}"
    if args[:1] == ("-c",):
        args = args[2:]  # the command the user would type; the setting is ours
    return GitError(f"git {' '.join(args)} failed: {answer}")


def _output(repo: RepoPath, *args: str) -> str:
    result = _git(repo, *args)
    if result.returncode != 0:
        raise _fail(args, result)
    return result.stdout.decode("utf-8", "surrogateescape").strip()


def repository_root(path: RepoPath) -> Path:
    """The top of the work tree containing `path`; GitError if it is not in a repository."""
    from pathlib import Path

    return Path(_output(path, "rev-parse", "--show-toplevel"))


def resolve_commit(repo: RepoPath, revision: str) -> str | None:
    """The full commit id `revision` names, or None if it names no commit."""
    return resolve_commits(repo, [revision])[0]


def resolve_commits(repo: RepoPath, revisions: Sequence[str]) -> list[str | None]:
    """Commit ids for several revisions in one git process (None where a name is no commit)."""
    usable = git_commands.resolvable(list(revisions))
    if not usable:
        return [None] * len(revisions)
    query = git_commands.resolve_query(usable)
    result = _git(repo, *git_commands.RESOLVE, input_bytes=query)
    if result.returncode != 0:
        raise _fail(("cat-file", "--batch-check"), result)
    lines = result.stdout.decode("utf-8", "replace").splitlines()
    answers = dict(zip(usable, lines, strict=True))
    return [_commit_id(answers.get(revision)) for revision in revisions]


def _commit_id(answer: str | None) -> str | None:
    # cat-file answers "<name> missing" (or "ambiguous") for names that resolve to no commit.
    if answer is None or " " in answer:
        return None
    return answer


def merge_base(repo: RepoPath, first: str, second: str) -> str | None:
    """The best common ancestor of two commits, or None if their histories never meet."""
    result = _git(repo, *git_commands.merge_base(first, second))
    if result.returncode == 1 and not result.stderr.strip():
        return None
    if result.returncode != 0:
        raise _fail(("merge-base", first, second), result)
    return result.stdout.decode("ascii").strip()


def is_ancestor(repo: RepoPath, ancestor: str, descendant: str) -> bool:
    result = _git(repo, "merge-base", "--is-ancestor", ancestor, descendant)
    if result.returncode not in (0, 1):
        raise _fail(("merge-base", "--is-ancestor", ancestor, descendant), result)
    return result.returncode == 0


def is_shallow_boundary(repo: RepoPath, commit: str) -> bool:
    """True if a shallow clone cut the history at `commit` (its parents were not fetched)."""
    shallow_file = _output(repo, "rev-parse", "--path-format=absolute", "--git-path", "shallow")
    try:
        with open(shallow_file, encoding="ascii") as lines:
            return commit in lines.read().split()
    except FileNotFoundError:
        return False


def is_shallow(repo: RepoPath) -> bool:
    return _output(repo, "rev-parse", "--is-shallow-repository") == "true"


def current_branch(repo: RepoPath) -> str | None:
    """The checked-out branch name, or None on a detached HEAD."""
    result = _git(repo, "symbolic-ref", "--quiet", "--short", "HEAD")
    if result.returncode != 0:
        return None
    return result.stdout.decode("utf-8", "surrogateescape").strip()


def empty_tree(repo: RepoPath) -> str:
    """The id of the empty tree in this repository's hash format."""
    result = _git(repo, "hash-object", "-t", "tree", "--stdin", input_bytes=b"")
    if result.returncode != 0:
        raise _fail(("hash-object", "-t", "tree", "--stdin"), result)
    return result.stdout.decode("ascii").strip()


def diff_name_status(repo: RepoPath, base: str, head: str) -> Diff:
    """Files that differ between two trees, renames detected (R entries carry the old path)."""
    args = git_commands.diff_name_status(base, head)
    result = _git(repo, *args)
    if result.returncode != 0:
        raise _fail(args, result)
    return parse_name_status(result.stdout)


def parse_name_status(output: bytes) -> Diff:
    """Parse `--name-status -z`: `status NUL path NUL`, or `status NUL old NUL new NUL`."""
    fields = output.decode("utf-8", "surrogateescape").split("\0")
    fields.pop()  # the output ends with NUL, so the last field is empty
    statuses = fields[0::2]
    if set(statuses) <= _PLAIN_STATUSES:
        # No renames, copies or scores: fields alternate status, path (the common, large case).
        return Diff(tuple(statuses), tuple(fields[1::2]))
    kinds: list[str] = []
    paths: list[str] = []
    old_paths: dict[int, str] = {}
    index = 0
    while index < len(fields):
        status = fields[index][0]
        if status in "RC":
            old_paths[len(paths)] = fields[index + 1]
            kinds.append(status)
            paths.append(fields[index + 2])
            index += 3
        else:
            kinds.append(status)
            paths.append(fields[index + 1])
            index += 2
    return Diff(tuple(kinds), tuple(paths), MappingProxyType(old_paths))
