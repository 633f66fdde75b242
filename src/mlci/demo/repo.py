"""The demo's folder: a marked directory holding a fresh git copy of the example monorepo
and the state of the private cloud the demo starts.

The example is found in the source tree (a checkout or an editable install) or, for an
installed wheel, in the data files the wheel puts under `<prefix>/share/mlci/`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

EXAMPLE_NAME = "sagemaker-monorepo"
MARKER = ".mlci-demo"  # written into every demo folder, so a reset never deletes anything else
IGNORED = shutil.ignore_patterns("__pycache__", ".build", ".*_cache", "*.pyc")
GIT_IDENTITY = ("-c", "user.name=mlci demo", "-c", "user.email=demo@mlci.invalid")


class DemoError(Exception):
    """An expected failure of the demo, with a message for the user."""


def example_source() -> Path:
    """Where the example monorepo is, in this checkout or in this installation."""
    candidates = [
        Path(__file__).resolve().parents[3] / "examples" / EXAMPLE_NAME,
        Path(sysconfig.get_path("data")) / "share" / "mlci" / EXAMPLE_NAME,
        Path(sys.prefix) / "share" / "mlci" / EXAMPLE_NAME,
    ]
    for candidate in candidates:
        if (candidate / ".circleci" / "config.yml").is_file():
            return candidate
    raise DemoError(
        "the example monorepo is not installed with mlci (looked in "
        + ", ".join(str(c) for c in candidates)
        + ")"
    )


def prepare_folder(folder: Path) -> None:
    """Make `folder` an empty demo folder: refuse a folder that holds anything but an
    earlier demo, whose contents are removed (its cloud must be stopped first)."""
    if folder.exists() and not folder.is_dir():
        raise DemoError(f"{folder} exists and is not a directory")
    if folder.is_dir() and any(folder.iterdir()):
        if not (folder / MARKER).is_file():
            raise DemoError(
                f"{folder} is not empty and is not an earlier mlci demo; "
                "choose another --dir (or an empty one)"
            )
        for child in folder.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text("created by mlci demo; `mlci demo --dir` may reset it\n")


def is_demo_folder(folder: Path) -> bool:
    return (folder / MARKER).is_file()


class DemoRepo:
    """A git repository with a copy of the example, and the edits the story makes to it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def create(cls, root: Path, example: Path) -> DemoRepo:
        shutil.copytree(example, root, ignore=IGNORED)
        repo = cls(root)
        repo.git("init", "-q", "-b", "main")
        repo.git("add", "-A")
        repo.git("commit", "-q", "-m", "The example monorepo")
        return repo

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", *GIT_IDENTITY, *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise DemoError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def change(self, branch: str, folders: tuple[str, ...], note: str) -> str:
        """A commit on a new `branch` from main adding a comment line to each folder's
        __init__.py; returns the commit."""
        self.git("checkout", "-q", "-B", branch, "main")
        for folder in folders:
            path = self.root / folder / "__init__.py"
            if not path.is_file():
                raise DemoError(f"the example has no {folder}/__init__.py to change")
            path.write_text(path.read_text() + f"# {note}\n")
        self.git("commit", "-q", "-am", note)
        return self.git("rev-parse", "HEAD")

    def merge(self, branch: str) -> str:
        self.git("checkout", "-q", "main")
        self.git("merge", "-q", "--no-ff", "-m", f"Merge branch '{branch}'", branch)
        return self.git("rev-parse", "HEAD")
