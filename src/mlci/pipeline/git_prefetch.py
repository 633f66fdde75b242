"""Start the git processes `mlci changes` needs before Python has loaded the rest of mlci.

On a large push the `git diff` is most of the work, and loading mlci's modules is most of the
rest; run one after the other they cost their sum. So `mlci changes` reads which commits the
names point at from the ref files (git_refs.py), starts git's own answer to that question, the
merge-base and the diff from those commits at once, and only then loads the code that will read
their answers: the diff runs on one core while Python imports on the other. Where the ref files
do not answer plainly, it waits for git's answer (a few milliseconds) before starting the rest.

git.py takes an answer from here only for the exact command, with the exact input, in the same
directory that it would run itself; anything else runs as usual. Only the diff is started
before its exact command is known (as `base...head`, which git documents to be the diff from
their merge-base); it is handed over once the merge-base is known and names the same diff.

Output goes to anonymous memory files, not pipes, so that git never waits for a reader that is
busy importing. Where those do not exist (memfd_create is Linux's), nothing is prefetched.
This module imports nothing beyond os: it runs before everything else.
"""

from __future__ import annotations

import os

from mlci.pipeline import git_commands, git_refs

Answer = tuple[int, bytes, bytes]  # exit code, stdout, stderr
Key = tuple[tuple[int, int], tuple[str, ...], "bytes | None"]

_answers: dict[Key, Answer] = {}
_running: dict[Key, _Process] = {}
_pending_diff: tuple[tuple[int, int], str, str, _Process] | None = None  # dir, base, head


class _Process:
    def __init__(self, repo: str, args: tuple[str, ...], input_bytes: bytes | None) -> None:
        self._out = os.memfd_create("git-stdout", os.MFD_CLOEXEC)
        self._err = os.memfd_create("git-stderr", os.MFD_CLOEXEC)
        actions: list[tuple[object, ...]] = [
            (os.POSIX_SPAWN_DUP2, self._out, 1),
            (os.POSIX_SPAWN_DUP2, self._err, 2),
        ]
        stdin = os.pipe() if input_bytes is not None else None
        if stdin is None:
            actions.append((os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0))
        else:
            actions.append((os.POSIX_SPAWN_DUP2, stdin[0], 0))
        try:
            self.pid = os.posix_spawnp(
                "git", ["git", "-C", repo, *args], os.environ, file_actions=actions
            )
        except BaseException:
            self._close()
            raise
        finally:
            if stdin is not None:
                os.close(stdin[0])
        if stdin is not None:
            with open(stdin[1], "wb") as writer:  # small: a few names, far below a pipe's size
                writer.write(input_bytes or b"")
        self._answer: Answer | None = None

    def wait(self) -> Answer:
        if self._answer is None:
            _, status = os.waitpid(self.pid, 0)
            self._answer = (os.waitstatus_to_exitcode(status), _read(self._out), _read(self._err))
            self._close()
        return self._answer

    def kill(self) -> None:
        if self._answer is None:
            try:  # noqa: SIM105 - contextlib is not loaded yet, and need not be
                os.kill(self.pid, 9)
            except ProcessLookupError:
                pass
            os.waitpid(self.pid, 0)
            self._answer = (-9, b"", b"")
            self._close()

    def _close(self) -> None:
        for descriptor in (self._out, self._err):
            try:  # noqa: SIM105 - as above
                os.close(descriptor)
            except OSError:
                pass


def _read(descriptor: int) -> bytes:
    size = os.fstat(descriptor).st_size
    return os.pread(descriptor, size, 0) if size else b""


def _directory(repo: str) -> tuple[int, int] | None:
    """Which directory `repo` is (device, inode): the same one whatever the spelling."""
    try:
        info = os.stat(repo)
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


def start(repo: str, base_revision: str, head: str) -> None:
    """Resolve the names path filtering needs, then start its merge-base and diff."""
    global _pending_diff
    where = _directory(repo)
    if where is None or not hasattr(os, "memfd_create") or _answers or _running:
        return
    names = git_commands.resolvable(git_commands.comparison_names(base_revision, head))
    if len(names) != 4:
        return  # a name given twice or unusable: leave it all to git.py
    query = git_commands.resolve_query(names)
    resolve = (where, git_commands.RESOLVE, query)
    # Start from the commits the ref files name, without waiting for git's own answer to the
    # same question: git.py takes the diff only if git's answer then names the same commits.
    commits = git_refs.guess_commits(repo, names[:3])
    try:
        if commits is None:
            code, out, _ = _answers[resolve] = _Process(repo, *resolve[1:]).wait()
            if code != 0:
                return  # git.py will report git's message
            commits = [line if " " not in line else "" for line in out.decode().split("\n")]
        head_commit, base_commit = commits[0], commits[1] or commits[2]
        if head_commit and base_commit:
            diff = git_commands.diff_from_merge_base(base_commit, head_commit)
            # the long one first: the others are done long before it
            _pending_diff = (where, base_commit, head_commit, _Process(repo, diff, None))
            merge_base = git_commands.merge_base(base_commit, head_commit)
            _running[(where, merge_base, None)] = _Process(repo, merge_base, None)
        if resolve not in _answers:
            _running[resolve] = _Process(repo, *resolve[1:])
    except OSError:
        return  # no git, no memory files: everything runs the ordinary way


def take(repo: str, args: tuple[str, ...], input_bytes: bytes | None) -> Answer | None:
    """git's answer to this command in `repo` if it was prefetched, else None."""
    if not (_answers or _running or _pending_diff):
        return None
    where = _directory(repo)
    if where is None:
        return None
    key = (where, args, input_bytes)
    if key not in _answers and key not in _running:
        _hand_over_diff()
    if key in _running:
        _answers[key] = _running.pop(key).wait()
    return _answers.get(key)


def _hand_over_diff() -> None:
    """File the `base...head` diff under the exact command it equals, once the merge-base is
    known; a diff that turns out to be unneeded (no merge-base) is stopped."""
    global _pending_diff
    if _pending_diff is None:
        return
    where, base, head, process = _pending_diff
    _pending_diff = None
    merge_base_key = (where, git_commands.merge_base(base, head), None)
    if merge_base_key in _running:
        _answers[merge_base_key] = _running.pop(merge_base_key).wait()
    code, out, _ = _answers.get(merge_base_key, (1, b"", b""))
    if code != 0:
        process.kill()
        return
    common = out.decode().strip()
    _running[(where, git_commands.diff_name_status(common, head), None)] = process


def discard() -> None:
    """Stop whatever was prefetched and not asked for, and forget every answer."""
    global _pending_diff
    leftovers = list(_running.values())
    if _pending_diff is not None:
        leftovers.append(_pending_diff[3])
    for process in leftovers:
        process.kill()
    _running.clear()
    _answers.clear()
    _pending_diff = None
