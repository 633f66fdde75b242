"""Versions under concurrency, and what survives SIGKILL of a client or of the cloud."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, RunningCloud, start_cloud
from tests.integration.cloud.sagemaker_register_loop import SPECIFICATION
from tests.integration.cloud.sagemaker_support import unique


def start_writer(
    cloud: RunningCloud, ack: Path, group: str, worker: int, count: int | None = None
) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "tests.integration.cloud.sagemaker_register_loop"]
    command += [str(ack), group, *([str(count)] if count is not None else [])]
    env = {**os.environ, **cloud.env(), "WORKER": str(worker)}
    return subprocess.Popen(command, cwd=REPO, env=env, stderr=subprocess.PIPE)


def acknowledged(ack: Path) -> dict[int, str]:
    """version -> commit id of every acknowledged registration (each line is whole: fsync'd)."""
    if not ack.exists():
        return {}
    found: dict[int, str] = {}
    for line in ack.read_text().splitlines():
        version, commit = line.split()
        assert int(version) not in found, f"version {version} acknowledged twice"
        found[int(version)] = commit
    return found


def wait_for_acks(ack: Path, count: int, writer: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while len(acknowledged(ack)) < count:
        assert writer.poll() is None, writer.stderr.read() if writer.stderr else ""
        assert time.monotonic() < deadline, "the writer made no progress"
        time.sleep(0.01)


def stored_versions(sm: Any, group: str) -> list[int]:
    versions, token = [], None
    while True:
        page = sm.list_model_packages(
            ModelPackageGroupName=group, MaxResults=100, **({"NextToken": token} if token else {})
        )
        versions += [p["ModelPackageVersion"] for p in page["ModelPackageSummaryList"]]
        token = page.get("NextToken")
        if not token:
            return versions


def check_everything_acknowledged_is_whole(cloud: RunningCloud, group: str, ack: Path) -> None:
    sm = cloud.client("sagemaker")
    acks = acknowledged(ack)
    versions = stored_versions(sm, group)
    assert versions == list(range(1, len(versions) + 1)), "versions are not contiguous"
    assert set(acks) <= set(versions)
    assert len(versions) - len(acks) <= 1  # at most the one registration in flight
    for version, commit in acks.items():
        described = sm.describe_model_package(ModelPackageName=f"{group}/{version}")
        assert described["MetadataProperties"] == {"CommitId": commit}
        assert described["InferenceSpecification"] == SPECIFICATION
        assert described["ModelApprovalStatus"] == "PendingManualApproval"


@pytest.mark.slow
def test_eight_concurrent_clients_get_versions_one_to_four_hundred(
    cloud: RunningCloud, tmp_path: Path
) -> None:
    group = unique("concurrent")
    cloud.client("sagemaker").create_model_package_group(ModelPackageGroupName=group)
    acks = [tmp_path / f"acks-{worker}" for worker in range(8)]
    writers = [start_writer(cloud, ack, group, worker, 50) for worker, ack in enumerate(acks)]
    for writer in writers:
        _, stderr = writer.communicate(timeout=300)
        assert writer.returncode == 0, stderr.decode()
    versions = sorted(v for ack in acks for v in acknowledged(ack))
    assert versions == list(range(1, 401))
    assert stored_versions(cloud.client("sagemaker"), group) == list(range(1, 401))


def test_sigkill_of_a_client_loses_no_acknowledged_registration(tmp_path: Path) -> None:
    seed = random.randrange(1 << 30)
    chance = random.Random(seed)
    print(f"random seed {seed}")
    home, ack, group = tmp_path / "home", tmp_path / "acks", "killed-client"
    cloud = start_cloud(home)
    try:
        cloud.client("sagemaker").create_model_package_group(ModelPackageGroupName=group)
        writer = start_writer(cloud, ack, group, worker=1)
        wait_for_acks(ack, chance.randint(3, 30), writer)
        time.sleep(chance.uniform(0, 0.05))
        writer.kill()
        writer.communicate()
        check_everything_acknowledged_is_whole(cloud, group, ack)
        cloud.stop()
        cloud = start_cloud(home)
        check_everything_acknowledged_is_whole(cloud, group, ack)
    finally:
        cloud.stop()


def test_sigkill_of_the_cloud_loses_no_acknowledged_registration(tmp_path: Path) -> None:
    seed = random.randrange(1 << 30)
    chance = random.Random(seed)
    print(f"random seed {seed}")
    home, ack, group = tmp_path / "home", tmp_path / "acks", "killed-cloud"
    cloud = start_cloud(home)
    try:
        cloud.client("sagemaker").create_model_package_group(ModelPackageGroupName=group)
        writer = start_writer(cloud, ack, group, worker=1)
        wait_for_acks(ack, chance.randint(3, 30), writer)
        time.sleep(chance.uniform(0, 0.05))
        cloud.stop(signal.SIGKILL)
        _, stderr = writer.communicate(timeout=120)
        assert writer.returncode == 3, stderr.decode()
        cloud = start_cloud(home)
        check_everything_acknowledged_is_whole(cloud, group, ack)
        next_arn = cloud.client("sagemaker").create_model_package(
            ModelPackageGroupName=group, InferenceSpecification=SPECIFICATION
        )["ModelPackageArn"]
        stored = stored_versions(cloud.client("sagemaker"), group)
        assert next_arn.endswith(f"/{stored[-1]}") and len(stored) >= len(acknowledged(ack)) + 1
    finally:
        cloud.stop()
