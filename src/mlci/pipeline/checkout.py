"""The revision a pipeline runs, and a clean checkout of it for each job.

By default a pipeline runs the committed state. `--working-tree` runs what is on disk: a
snapshot commit (parent HEAD) built with a temporary index, so uncommitted and untracked,
not-ignored files are included while the user's index, branches and stash stay untouched.
The snapshot is an ordinary commit object, so path filtering, `CIRCLE_SHA1` and checkouts
treat it like any other revision.

A job's `checkout` is a clone sharing the repository's objects (`git clone --shared`: no
object is copied, so it costs milliseconds) with the pipeline's branch checked out at the
pipeline's revision, and `origin` pointing at the repository, as CircleCI's checkout has.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import NamedTuple

from mlci.pipeline import git
from mlci.pipeline.errors import GitError, PipelineError

STATE_DIR = ".mlci"
# Snapshot commits need an identity; they are mlci's, not the user's.
_SNAPSHOT_IDENTITY = {
    "GIT_AUTHOR_NAME": "mlci",
    "GIT_AUTHOR_EMAIL": "mlci@localhost",
    "GIT_COMMITTER_NAME": "mlci",
    "GIT_COMMITTER_EMAIL": "mlci@localhost",
}


class Source(NamedTuple):
    """What a pipeline runs: a commit, the branch it is for, and whether it is a snapshot."""

    root: Path
    revision: str
    branch: str | None
    working_tree: bool = False


def _run(
    repo: Path, *args: str, env: dict[str, str] | None = None, input_bytes: bytes | None = None
) -> str:
    try:
        result = subprocess.run(
            ["git", "-C", str(repo), *args],
            capture_output=True,
            check=False,
            env=env,
            input=input_bytes,
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None
    if result.returncode != 0:
        answer = result.stderr.decode("utf-8", "replace").strip()
        raise GitError(f"git {' '.join(args)} failed: {answer or result.returncode}")
    return result.stdout.decode("utf-8", "surrogateescape").strip()


def find_root(directory: Path) -> Path:
    try:
        return git.repository_root(directory)
    except GitError:
        raise PipelineError(
            f"{directory.resolve()} is not in a git repository (mlci runs a repository's"
            " .circleci config; run it inside one)"
        ) from None


def resolve_source(root: Path, branch: str | None, working_tree: bool) -> Source:
    """The commit and branch name for `mlci run [--branch B] [--working-tree]`."""
    current = git.current_branch(root)
    if branch is not None and branch != current:
        if working_tree:
            raise PipelineError(
                f"--working-tree runs what is checked out ({current or 'a detached HEAD'}),"
                f" so it cannot be combined with --branch {branch}"
            )
        tip = git.resolve_commit(root, f"refs/heads/{branch}")
        if tip is None:
            raise PipelineError(f"there is no local branch {branch!r} in {root}")
        return Source(root, tip, branch)
    head = git.resolve_commit(root, "HEAD")
    if head is None:
        raise PipelineError(f"{root} has no commits yet; commit something to run a pipeline")
    name = branch or current
    if name is None:
        raise PipelineError("HEAD is detached: pass --branch NAME to say which branch this is")
    if working_tree:
        return Source(root, snapshot_working_tree(root, head), name, True)
    return Source(root, head, name)


def snapshot_working_tree(root: Path, head: str) -> str:
    """A commit of the work tree as `git add -A` sees it; HEAD itself if nothing differs."""
    index_path = Path(_run(root, "rev-parse", "--path-format=absolute", "--git-path", "index"))
    # Beside the real index, inside the git directory: nothing appears in the work tree.
    temporary_index = index_path.with_name(f"mlci-index-{os.getpid()}-{time.monotonic_ns()}")
    try:
        if index_path.exists():
            # Starting from a copy of the real index lets git reuse its cached file stats.
            shutil.copyfile(index_path, temporary_index)
        env = {**os.environ, "GIT_INDEX_FILE": str(temporary_index), **_SNAPSHOT_IDENTITY}
        _run(root, "add", "-A", "--", ".", f":(exclude){STATE_DIR}", env=env)
        tree = _run(root, "write-tree", env=env)
    finally:
        temporary_index.unlink(missing_ok=True)
    if tree == _run(root, "rev-parse", f"{head}^{{tree}}"):
        return head
    message = f"mlci: working tree on top of {head[:12]}".encode()
    return _run(root, "commit-tree", tree, "-p", head, env=env, input_bytes=message)


def read_file_at(root: Path, revision: str, path: str) -> str | None:
    """The text of `path` (relative to the root) at `revision`, or None if it is not there."""
    spec = f"{revision}:{path.lstrip('/')}"
    try:
        result = subprocess.run(
            ["git", "-C", str(root), "cat-file", "blob", spec],
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None
    if result.returncode != 0:
        return None
    try:
        return result.stdout.decode("utf-8")
    except UnicodeDecodeError:
        raise PipelineError(f"{path} at {revision[:12]} is not UTF-8 text") from None


def commit_exists(root: Path, revision: str) -> bool:
    return git.resolve_commit(root, revision) is not None


def checkout(root: Path, revision: str, branch: str | None, target: Path) -> None:
    """Check `revision` out into `target` (which may exist and hold files already)."""
    target.mkdir(parents=True, exist_ok=True)
    if (target / ".git").exists():
        raise PipelineError(f"{target} already holds a git repository; checkout needs a clean one")
    staging = target.parent / f".checkout-{target.name}-{time.monotonic_ns()}"
    try:
        _run(root, "clone", "--quiet", "--shared", "--no-checkout", str(root), str(staging))
        (staging / ".git").rename(target / ".git")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if branch:
        _run(target, "checkout", "--quiet", "--force", "-B", branch, revision)
    else:
        _run(target, "checkout", "--quiet", "--force", "--detach", revision)
