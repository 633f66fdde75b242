"""The git command lines path filtering runs, in one place for git.py and git_prefetch.py.

The prefetcher starts some of these before the rest of mlci has loaded, and git.py then takes
its answers instead of running the same command again; both build them here, so a prefetched
answer is one git would give to the very same command. Import nothing: the prefetcher runs
before anything else is loaded.
"""

from __future__ import annotations

RESOLVE = ("cat-file", "--batch-check=%(objectname)")


def resolvable(revisions: list[str]) -> list[str]:
    """The names worth asking about, each once (a newline would end the query line)."""
    return [revision for revision in dict.fromkeys(revisions) if revision and "\n" not in revision]


def resolve_query(revisions: list[str]) -> bytes:
    """Input for `git cat-file --batch-check` that asks for the commit each name points at."""
    return "".join(f"{revision}^{{commit}}\n" for revision in revisions).encode("utf-8")


def merge_base(first: str, second: str) -> tuple[str, ...]:
    return ("merge-base", first, second)


_DIFF = (
    "-c",
    "core.quotepath=false",
    "diff",
    "--name-status",
    "-z",
    "--find-renames",
    "--no-relative",
)


def diff_name_status(base: str, head: str) -> tuple[str, ...]:
    """Files that differ between two trees, renames detected, paths as stored (-z, unquoted)."""
    return (*_DIFF, base, head, "--")


def diff_from_merge_base(base: str, head: str) -> tuple[str, ...]:
    """The same diff from the merge-base of `base` and `head`, in one process: git documents
    `git diff A...B` as `git diff $(git merge-base A B) B`."""
    return (*_DIFF, f"{base}...{head}", "--")


def comparison_names(base_revision: str, head: str) -> list[str]:
    """What path filtering resolves in one go: head, the base, its remote twin, head's parent."""
    return [head, base_revision, f"origin/{base_revision}", f"{head}~1"]
