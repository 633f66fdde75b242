"""Jobs reach `mlci cloud` through the standard AWS environment, with no edits to the job.

A real cloud (`mlci cloud start --port 0`) in a temporary MLCI_HOME; the job calls STS with
boto3 and with the AWS CLI. When the cloud is configured but stopped, `mlci run` starts it;
`--aws real` hands the job your own AWS environment instead. The secret key is masked.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.pipeline.helpers import Project, mlci_env

CONFIG = """
version: 2.1
jobs:
  whoami:
    docker: [{image: cimg/python:3.11}]
    steps:
      - run:
          name: boto3
          command: |
            python3 -c "import boto3
            print('account', boto3.client('sts').get_caller_identity()['Account'])"
      - run:
          name: aws cli
          command: |
            aws sts get-caller-identity --output json > "$TMPDIR/identity.json"
            cat "$TMPDIR/identity.json"
      - run:
          name: leak attempt
          when: always
          command: echo "endpoint $AWS_ENDPOINT_URL secret $AWS_SECRET_ACCESS_KEY"
workflows:
  main:
    jobs: [whoami]
"""


def cloud(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlci", "cloud", *args],
        env=mlci_env(home),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def cloud_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One cloud for these tests (each test may stop it; `mlci run` starts it again)."""
    home = tmp_path_factory.mktemp("cloud-home")
    started = cloud(home, "start", "--port", "0")
    assert started.returncode == 0, started.stderr
    yield home
    cloud(home, "stop")


@pytest.fixture
def project(tmp_path: Path, cloud_home: Path) -> Project:
    project = Project(tmp_path / "repo", cloud_home)
    project.write_config(CONFIG)
    project.repo.commit({}, "whoami")
    return project


def credentials(home: Path) -> dict[str, str]:
    return dict(json.loads((home / "credentials.json").read_text()))


def test_jobs_get_the_running_clouds_environment_and_its_secret_is_masked(
    project: Project,
) -> None:
    creds = credentials(project.home)

    status = project.run_json()

    assert status["status"] == "success"
    log = project.mlci("logs", "1", "whoami").stdout
    assert f"account {creds['account_id']}" in log
    assert f'"Account": "{creds["account_id"]}"' in log
    assert "AWS: mlci cloud at http://127.0.0.1:" in log
    assert "secret ********" in log
    assert creds["secret_access_key"] not in log


@pytest.mark.slow  # stops and restarts a cloud: ~10 s on a busy machine
def test_a_configured_cloud_that_is_not_running_is_started(project: Project) -> None:
    assert cloud(project.home, "stop").stdout.strip() == "stopped"
    assert cloud(project.home, "status").returncode == 3

    status = project.run_json()

    assert status["status"] == "success"
    assert cloud(project.home, "status").returncode == 0


def test_aws_real_passes_your_own_environment_through(project: Project) -> None:
    result = project.mlci(
        "run",
        "--aws",
        "real",
        "--json",
        check=False,
        AWS_ACCESS_KEY_ID="AKIAEXAMPLEREALKEY",
        AWS_SECRET_ACCESS_KEY="real-secret-of-the-user",
        AWS_DEFAULT_REGION="eu-west-1",
        AWS_ENDPOINT_URL="http://127.0.0.1:9",  # nothing listens: the calls fail
        AWS_MAX_ATTEMPTS="1",
    )

    assert result.returncode == 1
    log = project.mlci("logs", "1", "whoami").stdout
    assert "AWS: your own environment (--aws real)" in log
    assert "Could not connect to the endpoint URL" in log
    assert "endpoint http://127.0.0.1:9 secret ********" in log  # yours, masked too
    assert "real-secret-of-the-user" not in log
