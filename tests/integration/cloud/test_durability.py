"""kill -9 of the cloud mid-write: every acknowledged write survives whole, nothing partial
is visible, package versions stay contiguous."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import start_cloud
from tests.integration.cloud.durability_writer import BUCKET, GROUP, body_for

WRITER = Path(__file__).with_name("durability_writer.py")
REPO = Path(__file__).resolve().parents[3]


def _start_writer(cloud, ack: Path, start: int) -> subprocess.Popen[bytes]:  # type: ignore[no-untyped-def]
    env = {**os.environ, **cloud.env(), "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, str(WRITER), str(ack), str(start)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _acks(ack: Path) -> tuple[set[int], dict[int, int]]:
    objects: set[int] = set()
    packages: dict[int, int] = {}
    for line in ack.read_text().splitlines():
        kind, *fields = line.split()
        if kind == "object":
            objects.add(int(fields[0]))
        else:
            packages[int(fields[0])] = int(fields[1])
    return objects, packages


@pytest.mark.slow
def test_sigkill_of_the_cloud_loses_no_acknowledged_write(tmp_path: Path) -> None:
    home, ack = tmp_path / "home", tmp_path / "acks.txt"
    ack.touch()
    rng = random.Random(20261201)
    cloud = start_cloud(home)
    cloud.client("s3").create_bucket(Bucket=BUCKET)
    cloud.client("sagemaker").create_model_package_group(ModelPackageGroupName=GROUP)
    next_index = 0
    for _round in range(4):
        writer = _start_writer(cloud, ack, next_index)
        time.sleep(rng.uniform(0.8, 2.5))
        cloud.stop(signal.SIGKILL)
        writer.wait(timeout=30)  # its next request fails; it exits
        cloud = start_cloud(home)
        next_index = max(_acks(ack)[0], default=-1) + 1
        _check_everything_acknowledged_is_whole(cloud, ack)
    assert len(_acks(ack)[0]) > 20, "the writer should have made progress each round"
    cloud.stop()


def _check_everything_acknowledged_is_whole(cloud, ack: Path) -> None:  # type: ignore[no-untyped-def]
    objects, packages = _acks(ack)
    s3 = cloud.client("s3")
    listed = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents", []):
            listed[item["Key"]] = item["Size"]
    for index in objects:
        assert f"obj/{index:06d}" in listed, f"acknowledged object {index} is missing"
    for key, size in listed.items():  # whatever is visible is whole, acknowledged or not
        expected = body_for(int(key.rsplit("/", 1)[1]))
        assert size == len(expected)
        assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == expected, key

    sagemaker = cloud.client("sagemaker")
    versions = []
    for page in sagemaker.get_paginator("list_model_packages").paginate(
        ModelPackageGroupName=GROUP, SortBy="CreationTime", SortOrder="Ascending"
    ):
        versions += [int(s["ModelPackageVersion"]) for s in page["ModelPackageSummaryList"]]
    assert versions == list(range(1, len(versions) + 1)), "versions must stay contiguous"
    for version, index in packages.items():
        described = sagemaker.describe_model_package(
            ModelPackageName=f"arn:aws:sagemaker:{cloud.region}:{cloud.account_id}:"
            f"model-package/{GROUP}/{version}"
        )
        assert described["ModelPackageDescription"] == f"written at step {index}"
