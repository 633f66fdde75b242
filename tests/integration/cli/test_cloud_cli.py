"""`mlci cloud start/status/env/stop` as a user runs them, in the background."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest


def mlci(*args: str, home: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run(
        [sys.executable, "-m", "mlci", *args, "--home", str(home)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=check,
    )


@pytest.fixture
def home(tmp_path: Path):  # type: ignore[no-untyped-def]
    yield tmp_path / "cloud"
    mlci("cloud", "stop", home=tmp_path / "cloud", check=False)


def test_start_status_env_stop(home: Path, tmp_path: Path) -> None:
    url = mlci("cloud", "start", "--port", "0", home=home).stdout.strip()
    assert url.startswith("http://127.0.0.1:")
    assert mlci("cloud", "start", "--port", "0", home=home).stdout.strip() == url  # idempotent

    status = mlci("cloud", "status", home=home)
    assert f"running at {url}" in status.stdout

    creds_file = home / "credentials.json"
    assert stat.S_IMODE(creds_file.stat().st_mode) == 0o600

    exports = mlci("cloud", "env", home=home).stdout
    assert f"export AWS_ENDPOINT_URL={url}" in exports
    assert json.loads(creds_file.read_text())["secret_access_key"] in exports
    # eval "$(mlci cloud env)" gives a working AWS CLI
    empty = tmp_path / "empty"
    empty.write_text("")
    script = 'eval "$1" && aws sts get-caller-identity --output json'
    result = subprocess.run(
        ["bash", "-c", script, "-", exports],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path),
            "AWS_CONFIG_FILE": str(empty),
            "AWS_SHARED_CREDENTIALS_FILE": str(empty),
        },
    )
    assert result.returncode == 0, result.stderr
    identity = json.loads(result.stdout)
    assert identity["Account"] == json.loads(creds_file.read_text())["account_id"]

    assert mlci("cloud", "stop", home=home).stdout.strip() == "stopped"
    after = mlci("cloud", "status", home=home, check=False)
    assert after.returncode == 3
    assert "not running" in after.stdout


def test_credentials_survive_restart(home: Path) -> None:
    mlci("cloud", "start", "--port", "0", home=home)
    first = (home / "credentials.json").read_text()
    mlci("cloud", "stop", home=home)
    mlci("cloud", "start", "--port", "0", home=home)
    assert (home / "credentials.json").read_text() == first


def test_env_when_not_running_is_an_error(home: Path) -> None:
    result = mlci("cloud", "env", home=home, check=False)
    assert result.returncode == 1
    assert "the cloud is not running; start it with: mlci cloud start" in result.stderr


def test_stop_when_not_running_says_so(home: Path) -> None:
    assert mlci("cloud", "stop", home=home).stdout.strip() == "not running"


def test_start_on_a_busy_port_fails_with_a_pointer_to_the_log(home: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = mlci("cloud", "start", "--port", str(port), home=home, check=False)
    assert result.returncode == 1
    assert "exited during start-up" in result.stderr
    assert "cloud.log" in result.stderr
    assert "Address already in use" in (home / "cloud.log").read_text()
