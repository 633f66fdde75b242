"""The dashboard as a user meets it: `mlci ui` started as a command, driven by Chromium
through Playwright, and the example monorepo run by `mlci run` against a cloud of its own."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package (apt-get install chromium)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "sagemaker-monorepo"


def require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed (apt-get install -y chromium; .ci/run does)")
    pytest.importorskip("playwright.sync_api", reason="pip install playwright (the test extra)")


@contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def clean_env(cloud_home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MLCI_HOME"))}
    env.update(MLCI_HOME=str(cloud_home), PYTHONUNBUFFERED="1", **extra)
    return env


@dataclass
class Dashboard:
    url: str
    token: str
    process: subprocess.Popen[str]


@contextmanager
def mlci_ui(repo: Path, cloud_home: Path) -> Iterator[Dashboard]:
    """`mlci ui --port 0` in its own process; its address and token read from what it prints."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mlci", "ui", "--port", "0", "--repo", str(repo)],
        cwd=repo,
        env=clean_env(cloud_home),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        second = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", first)
        token = re.fullmatch(r"token: (\S+)\n", second)
        if url is None or token is None:
            raise AssertionError(f"mlci ui printed {first!r} {second!r}")
        yield Dashboard(url.group(0), token.group(1), process)
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()


class Example:
    """A git copy of the example monorepo, with `mlci` run in it against `cloud_home`."""

    def __init__(self, root: Path, cloud_home: Path) -> None:
        shutil.copytree(
            EXAMPLE, root, ignore=shutil.ignore_patterns("__pycache__", ".build", ".*_cache")
        )
        self.root = root
        self.cloud_home = cloud_home
        self.git("init", "-q", "-b", "main")
        self.git("add", "-A")
        self.git("commit", "-q", "-m", "example monorepo")

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    def mlci(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "mlci", *args],
            cwd=self.root,
            env=clean_env(self.cloud_home),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise AssertionError(f"mlci {' '.join(args)}:\n{done.stdout[-4000:]}\n{done.stderr}")
        return done

    def change(
        self, folder: str, branch: str, note: str, edit: tuple[str, str] | None = None
    ) -> None:
        """A commit on `branch` (from main) that changes `folder`: a comment, or `edit`
        (old, new) applied to its train_register.py."""
        self.git("checkout", "-q", "-B", branch, "main")
        if edit is None:
            path = self.root / folder / "gather_data.py"
            path.write_text(path.read_text() + f"# {note}\n")
        else:
            path = self.root / folder / "train_register.py"
            if edit[0] not in path.read_text():
                raise AssertionError(f"{path} has no {edit[0]!r}")
            path.write_text(path.read_text().replace(*edit))
        self.git("commit", "-q", "-am", note)

    def merge_to_main(self, branch: str) -> None:
        self.git("checkout", "-q", "main")
        self.git("merge", "-q", "--no-ff", "-m", f"merge {branch}", branch)
