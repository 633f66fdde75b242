"""A real git repository in a temporary directory, built commit by commit for tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

_IDENTITY = (
    "-c", "user.name=mlci tests",
    "-c", "user.email=tests@mlci.invalid",
    "-c", "commit.gpgsign=false",
    "-c", "init.defaultBranch=main",
)  # fmt: skip


class GitRepo:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str) -> str:
        result = subprocess.run(
            ["git", *_IDENTITY, "-C", str(self.root), *args],
            capture_output=True,
            check=True,
        )
        return result.stdout.decode("utf-8", "surrogateescape").strip()

    def write(self, files: dict[str, str | None]) -> None:
        """Write (str) or delete (None) files in the work tree and stage them."""
        for name, content in files.items():
            path = self.root / name
            if content is None:
                self.git("rm", "-q", "--", name)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(content, encoding="utf-8")
                self.git("add", "--", name)

    def commit(self, files: dict[str, str | None], message: str = "change") -> str:
        self.write(files)
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.head()

    def rename(self, old: str, new: str, message: str = "rename") -> str:
        (self.root / new).parent.mkdir(parents=True, exist_ok=True)
        self.git("mv", "--", old, new)
        self.git("commit", "-q", "-m", message)
        return self.head()

    def branch(self, name: str, start: str = "HEAD") -> None:
        self.git("checkout", "-q", "-b", name, start)

    def checkout(self, name: str) -> None:
        self.git("checkout", "-q", name)

    def merge(self, name: str) -> str:
        self.git("merge", "-q", "--no-ff", "-m", f"merge {name}", name)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")
