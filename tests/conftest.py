"""Shared fixtures: a real cloud server on a free port, and clients pointed at it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@dataclass
class RunningCloud:
    home: Path
    url: str
    access_key: str
    secret_key: str
    account_id: str
    region: str
    process: subprocess.Popen[bytes]

    def env(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_DEFAULT_REGION": self.region,
        }

    def client(self, service: str, **kwargs: object):  # type: ignore[no-untyped-def]
        import boto3
        from botocore.config import Config

        return boto3.client(
            service,
            endpoint_url=self.url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}),
            **kwargs,
        )

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=30)


def start_cloud(home: Path) -> RunningCloud:
    """Start `mlci cloud start --foreground` on a free port and wait until it answers."""
    home.mkdir(parents=True, exist_ok=True)
    server_file = home / "server.json"
    server_file.unlink(missing_ok=True)
    with open(home / "test-cloud.log", "ab") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mlci",
                "cloud",
                "start",
                "--foreground",
                "--port",
                "0",
                "--home",
                str(home),
            ],
            stdout=log,
            stderr=log,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"cloud exited: {(home / 'test-cloud.log').read_text()[-3000:]}")
        if server_file.exists():
            info = json.loads(server_file.read_text())
            if _healthy(info["url"]):
                creds = json.loads((home / "credentials.json").read_text())
                return RunningCloud(
                    home,
                    info["url"],
                    creds["access_key_id"],
                    creds["secret_access_key"],
                    creds["account_id"],
                    creds["region"],
                    process,
                )
        time.sleep(0.05)
    process.kill()
    raise RuntimeError("cloud did not start within 60 s")


def _healthy(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url + "/_mlci/health", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.fixture(scope="session")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    running = start_cloud(tmp_path_factory.mktemp("cloud-home"))
    yield running
    running.stop()
