"""The demo's private cloud: `mlci cloud` with its state under the demo folder, on a free
port, so that the demo never touches a cloud (or AWS account) of yours."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlci.demo.repo import DemoError
from mlci.pipeline.cloud_env import parse_exports

COMMAND_TIMEOUT = 300


def child_environment(cloud_home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without your AWS settings, pointed at the private cloud."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(MLCI_HOME=str(cloud_home), PYTHONUNBUFFERED="1")
    env.update(extra or {})
    return env


class PrivateCloud:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.url = ""
        self.variables: dict[str, str] = {}

    def mlci_cloud(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "mlci", "cloud", *args, "--home", str(self.home)],
            env=child_environment(self.home),
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
        if done.returncode != 0:
            reason = (done.stderr or done.stdout).strip()
            raise DemoError(f"mlci cloud {args[0]} failed: {reason}")
        return done.stdout

    def start(self) -> str:
        self.url = self.mlci_cloud("start", "--port", "0").strip().splitlines()[-1]
        self.variables = parse_exports(self.mlci_cloud("env"))
        return self.url

    def seed(self, source: Path | None) -> str:
        """Seed the sample bucket from `source` (else MLCI_SAMPLES_DIR, else a download)."""
        args = ["seed-samples"] + (["--from", str(source)] if source is not None else [])
        return self.mlci_cloud(*args)

    def stop(self) -> None:
        self.mlci_cloud("stop")

    def client(self, service: str) -> Any:
        import boto3
        from botocore.config import Config

        v = self.variables
        return boto3.client(
            service,
            endpoint_url=v["AWS_ENDPOINT_URL"],
            aws_access_key_id=v["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=v["AWS_SECRET_ACCESS_KEY"],
            region_name=v["AWS_DEFAULT_REGION"],
            config=Config(s3={"addressing_style": "path"}),
        )

    def account_id(self) -> str:
        return str(self.client("sts").get_caller_identity()["Account"])
