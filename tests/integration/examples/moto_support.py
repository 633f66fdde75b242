"""moto_server on a free 127.0.0.1 port, and a throw-away git repository holding the example.

moto is an independent implementation of the AWS APIs: the example passing against it shows
that its registry and hosting calls are valid AWS calls, not just calls mlci accepts.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "sagemaker-monorepo"
ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/sagemaker-execution"
DEFAULT_BUCKET = f"sagemaker-{REGION}-{ACCOUNT}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def moto_server(log: Path) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            ["moto_server", "-H", "127.0.0.1", "-p", str(port)], stdout=out, stderr=out
        )
    try:
        _wait_until_up(url, process, log)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url + "/moto-api/", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("moto_server did not answer within 30 s")


def moto_post(url: str, path: str, payload: object = None) -> None:
    data = json.dumps(payload).encode() if payload is not None else b""
    request = urllib.request.Request(url + path, data=data, method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass


def aws_env(url: str) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "SAGEMAKER_EXECUTION_ROLE_ARN": ROLE_ARN,
    }


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def example_repository(target: Path) -> Path:
    """A fresh git repository whose root is a copy of the example, committed on main."""
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("__pycache__", ".build"))
    git(target, "init", "-q", "-b", "main")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "example monorepo")
    return target


def import_example(repo: Path, *names: str) -> list[ModuleType]:
    """Import the example's modules from `repo` (they are not installed anywhere)."""
    stale = [
        m for m in sys.modules if m.split(".")[0] in ("common", "abalone_model", "churn_model")
    ]
    for module in stale:
        del sys.modules[module]
    sys.path.insert(0, str(repo))
    try:
        return [importlib.import_module(name) for name in names]
    finally:
        sys.path.remove(str(repo))


def run_script(repo: Path, module: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # Only what the test gives: none of the settings the test process itself may have set.
    scrubbed = ("AWS_", "SAGEMAKER_", "MODEL_", "CIRCLE_", "ENDPOINT_")
    base = {k: v for k, v in os.environ.items() if not k.startswith(scrubbed)}
    return subprocess.run(
        [sys.executable, "-m", module],
        cwd=repo,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
