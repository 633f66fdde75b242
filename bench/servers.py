"""Start the servers a benchmark compares: our cloud, and moto_server, each on a free port."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Server:
    name: str
    url: str
    access_key: str
    secret_key: str
    process: subprocess.Popen[bytes]
    home: Path | None = None
    cleanup: list[Path] = field(default_factory=list)

    def client(self, service: str, region: str = "us-east-1", **config: Any) -> Any:
        """A boto3 client of this server: path-style S3, and botocore `config` options."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=Config(s3={"addressing_style": "path"}, **config),
        )

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
        return int(line.split()[1]) / 1024

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        for path in self.cleanup:
            shutil.rmtree(path, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(url: str, process: subprocess.Popen[bytes], path: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + path, timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{url}: not up within 60 s")


def start_mlci() -> Server:
    home = Path(tempfile.mkdtemp(prefix="mlci-bench-"))
    command = [sys.executable, "-m", "mlci", "cloud", "start", "--foreground", "--port", "0"]
    process = subprocess.Popen(
        [*command, "--home", str(home)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while not (home / "server.json").exists():
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError("mlci cloud did not start")
        time.sleep(0.05)
    url = json.loads((home / "server.json").read_text())["url"]
    _wait(url, process, "/_mlci/health")
    creds = json.loads((home / "credentials.json").read_text())
    return Server(
        "mlci", url, creds["access_key_id"], creds["secret_access_key"], process, home, [home]
    )


def start_moto() -> Server:
    port = free_port()
    binary = shutil.which("moto_server") or "moto_server"
    env = {**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true"}
    process = subprocess.Popen(
        [binary, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    _wait(url, process, "/moto-api/")
    return Server("moto", url, "testing", "testing", process)
