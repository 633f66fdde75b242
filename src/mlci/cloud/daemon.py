"""Run the cloud in the background: start (and wait until healthy), stop, status."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from mlci.cloud.server import SERVER_FILE

START_TIMEOUT = 30.0
STOP_TIMEOUT = 20.0
LOG_FILE = "cloud.log"


class CloudError(Exception):
    """An expected failure of start/stop/status, with a message for the user."""


@dataclass(frozen=True)
class Running:
    pid: int
    url: str


def running(home: Path) -> Running | None:
    """The cloud serving from `home`, if its recorded process is alive and answers."""
    try:
        info = json.loads((home / SERVER_FILE).read_text())
        pid, url = int(info["pid"]), str(info["url"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _alive(pid) or not healthy(url):
        return None
    return Running(pid, url)


def healthy(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url + "/_mlci/health", timeout=timeout) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def start(home: Path, host: str, port: int) -> Running:
    current = running(home)
    if current is not None:
        return current
    home.mkdir(parents=True, exist_ok=True)
    (home / SERVER_FILE).unlink(missing_ok=True)
    command = [
        sys.executable,
        "-m",
        "mlci",
        "cloud",
        "start",
        "--foreground",
        "--host",
        host,
        "--port",
        str(port),
        "--home",
        str(home),
    ]
    with open(home / LOG_FILE, "ab") as log:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CloudError(
                f"the cloud exited during start-up (code {process.returncode}); "
                f"see {home / LOG_FILE}"
            )
        current = running(home)
        if current is not None:
            return current
        time.sleep(0.05)
    process.terminate()
    raise CloudError(
        f"the cloud did not become healthy within {START_TIMEOUT:.0f} s; see {home / LOG_FILE}"
    )


def stop(home: Path) -> bool:
    """Stop the cloud serving from `home`; False when none was running."""
    current = running(home)
    if current is None:
        return False
    os.kill(current.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline:
        if not _alive(current.pid):
            return True
        time.sleep(0.05)
    raise CloudError(f"the cloud (pid {current.pid}) did not stop within {STOP_TIMEOUT:.0f} s")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours still "exists"; reap it if it is ours.
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True
