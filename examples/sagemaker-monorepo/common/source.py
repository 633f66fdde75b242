"""Which code a model came from, in terms git can check: the commit, and the tree hashes of the
model's folder and of `common/`.

A tree hash depends only on the files in the folder, so it is the same on the branch where the
model was trained and on `main` after a merge commit, a squash or a rebase — as long as the
folders hold the same files. That is what lets `main` deploy exactly what a reviewer approved.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from common.errors import StepFailed

COMMON_FOLDER = Path(__file__).resolve().parent


def _git(folder: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=folder, capture_output=True, text=True, check=False, timeout=60
        )
    except FileNotFoundError:
        raise StepFailed("git is not installed; the steps need it to identify the code") from None
    if done.returncode != 0:
        raise StepFailed(f"git {' '.join(args)} failed in {folder}: {done.stderr.strip()}")
    return done.stdout.strip()


def tree_of(folder: Path) -> str:
    # `HEAD:./` is the tree of the current directory, wherever the repository root is.
    return _git(folder, "rev-parse", "HEAD:./")


def check_clean(folder: Path) -> None:
    changed = _git(folder, "status", "--porcelain", "--", ".")
    if changed and not os.environ.get("ALLOW_UNCOMMITTED"):
        raise StepFailed(
            f"{folder.name}/ has uncommitted changes, so a package trained now would not match "
            f"any commit; commit them (or set ALLOW_UNCOMMITTED=1 for a throw-away run):\n{changed}"
        )


@dataclass(frozen=True)
class SourceVersion:
    commit: str
    tree: str  # git rev-parse HEAD:<model folder>
    common_tree: str  # git rev-parse HEAD:common

    def metadata(self) -> dict[str, str]:
        """The CustomerMetadataProperties that record this version on a model package."""
        return {
            "git_commit": self.commit,
            "git_tree": self.tree,
            "git_common_tree": self.common_tree,
        }

    def built(self, metadata: dict[str, str]) -> bool:
        """True if a package with these metadata was trained from the same folder contents."""
        return (
            metadata.get("git_tree") == self.tree
            and metadata.get("git_common_tree") == self.common_tree
        )

    def describe(self) -> str:
        return f"model tree {self.tree[:12]}, common tree {self.common_tree[:12]}"


def source_version(model_folder: Path, require_clean: bool = False) -> SourceVersion:
    if require_clean:
        check_clean(model_folder)
        check_clean(COMMON_FOLDER)
    return SourceVersion(
        commit=_git(model_folder, "rev-parse", "HEAD"),
        tree=tree_of(model_folder),
        common_tree=tree_of(COMMON_FOLDER),
    )
