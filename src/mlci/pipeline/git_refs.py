"""Which commit a branch name points at, read from the repository's files without running git.

A guess, and only ever used as one: git_prefetch starts the diff from it while git's own
answer is on its way, and git.py takes that diff only if git then names the very same
commits. So whatever is not plain (a worktree, reftable, GIT_DIR and friends, a tag, `main~2`,
a short commit id) is answered None, "ask git", and a wrong guess costs time, never a wrong
answer. It reads loose refs and packed-refs as git writes them, following symbolic refs.
Import nothing beyond os: this runs before the rest of mlci has loaded.
"""

from __future__ import annotations

import os

# Settings that move the repository or its refs somewhere discovery from a directory misses.
_RELOCATING = ("GIT_DIR", "GIT_COMMON_DIR", "GIT_WORK_TREE", "GIT_NAMESPACE")
# Characters git's revision syntax gives a meaning (ranges, ancestry, reflogs, paths, globs).
_SYNTAX = frozenset("~^:?*[\\ @{}")
_HEX = frozenset("0123456789abcdef")
_MISSING = ""  # no ref of that name exists: distinct from None, which means "cannot tell"


def guess_commits(repo: str, names: list[str]) -> list[str] | None:
    """The commit id each name points at ("" where no such ref exists), or None if any of
    them is beyond what the files tell plainly."""
    git_dir = _git_dir(repo)
    if git_dir is None:
        return None
    refs = _Refs(git_dir)
    commits = []
    for name in names:
        commit = refs.commit(name)
        if commit is None:
            return None
        commits.append(commit)
    return commits


def _git_dir(repo: str) -> str | None:
    if any(variable in os.environ for variable in _RELOCATING):
        return None
    directory = os.path.abspath(repo)
    while True:
        candidate = os.path.join(directory, ".git")
        if os.path.isdir(candidate):
            # reftable keeps refs in a format of its own, which is git's to read
            return None if os.path.exists(os.path.join(candidate, "reftable")) else candidate
        if os.path.exists(candidate):
            return None  # a `.git` file: a worktree or submodule, whose refs live elsewhere
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def _plain_name(name: str) -> bool:
    return bool(name) and _SYNTAX.isdisjoint(name) and name.isprintable() and not (
        name.startswith(("-", "/", "."))
        or name.endswith(("/", ".", ".lock"))
        or ".." in name
        or "//" in name
        or "/." in name
    )


class _Refs:
    def __init__(self, git_dir: str) -> None:
        self._git_dir = git_dir
        self._packed: bytes | None = None

    def commit(self, name: str) -> str | None:
        if not _plain_name(name):
            return None
        if len(name) in (40, 64) and _HEX.issuperset(name):
            return name  # a full commit id is taken as one, as git takes it
        if name == "HEAD" or name.startswith("refs/"):
            candidates = [name]
        elif os.path.exists(os.path.join(self._git_dir, name)):
            return None  # a file of that name beside HEAD: git versions differ on it
        else:
            candidates = []
        # git's order for a short name: the first of these that exists is the one meant
        candidates += [f"refs/{name}", f"refs/tags/{name}", f"refs/heads/{name}"]
        candidates += [f"refs/remotes/{name}", f"refs/remotes/{name}/HEAD"]
        for candidate in candidates:
            value = self._resolve(candidate)
            if value != _MISSING:
                # a tag may name a tag object, not a commit; peeling it needs git
                return None if candidate.startswith("refs/tags/") else value
        return _MISSING

    def _resolve(self, ref: str, depth: int = 0) -> str | None:
        value = self._read(ref)
        if value is None or not value.startswith("ref: "):
            return value
        target = value[len("ref: ") :]
        if depth == 4 or not target.startswith("refs/") or not _plain_name(target):
            return None
        resolved = self._resolve(target, depth + 1)
        return None if resolved == _MISSING else resolved  # a dangling symbolic ref: git's call

    def _read(self, ref: str) -> str | None:
        """The ref's value (an id or `ref: target`), _MISSING, or None if it is unreadable."""
        try:
            with open(os.path.join(self._git_dir, ref), "rb") as loose:
                text = loose.read(300).decode("ascii").strip()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return self._read_packed(ref)
        except (OSError, UnicodeDecodeError):
            return None
        if text.startswith("ref: ") or (len(text) in (40, 64) and _HEX.issuperset(text)):
            return text
        return None

    def _read_packed(self, ref: str) -> str | None:
        if self._packed is None:
            try:
                with open(os.path.join(self._git_dir, "packed-refs"), "rb") as packed:
                    self._packed = b"\n" + packed.read().rstrip(b"\n") + b"\n"
            except FileNotFoundError:
                self._packed = b"\n"
            except OSError:
                return None
        # Each line is `<id> <ref>`; a ref cannot contain a space, so " ref\n" ends its line.
        end = self._packed.find(b" " + ref.encode() + b"\n")
        if end < 0:
            return _MISSING
        start = self._packed.rfind(b"\n", 0, end) + 1
        commit = self._packed[start:end].decode("ascii", "replace")
        return commit if len(commit) in (40, 64) and _HEX.issuperset(commit) else None
