"""Seeding the public sample bucket into the real cloud, by function and by the CLI command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from mlci.samples import SAMPLE_BUCKET, locate, sample_objects, seed_sample_bucket
from tests.conftest import RunningCloud

KEYS = [
    "datasets/tabular/uci_abalone/train/abalone.train",
    "datasets/tabular/uci_abalone/validation/abalone.validation",
    "datasets/tabular/uci_abalone/test/abalone.test",
    "datasets/tabular/synthetic/churn.txt",
]


def samples_dir() -> Path:
    value = os.environ.get("MLCI_SAMPLES_DIR")
    if not value:
        pytest.skip("MLCI_SAMPLES_DIR is not set (CI sets it to the folder with the datasets)")
    return Path(value)


def test_objects_at_the_exact_keys_and_rerun_uploads_nothing(cloud: RunningCloud) -> None:
    s3 = cloud.client("s3")
    samples = locate(samples_dir())
    first = seed_sample_bucket(s3, samples)
    second = seed_sample_bucket(s3, samples)

    assert sorted([*first.uploaded, *first.unchanged]) == sorted(KEYS)
    assert second.uploaded == {}
    assert sorted(second.unchanged) == sorted(KEYS)
    expected = sample_objects(samples)
    for key in KEYS:
        body = s3.get_object(Bucket=SAMPLE_BUCKET, Key=key)["Body"].read()
        assert body == expected[key]
    churn = s3.get_object(Bucket=SAMPLE_BUCKET, Key=KEYS[3])["Body"].read()
    assert churn == (samples_dir() / "churn.txt").read_bytes()
    train = s3.get_object(Bucket=SAMPLE_BUCKET, Key=KEYS[0])["Body"].read().decode()
    assert len(train.splitlines()) == 2923
    listed = s3.list_objects_v2(Bucket=SAMPLE_BUCKET, Prefix="datasets/")["Contents"]
    assert sorted(o["Key"] for o in listed) == sorted(KEYS)


def test_a_changed_object_is_uploaded_again(cloud: RunningCloud) -> None:
    s3 = cloud.client("s3")
    samples = locate(samples_dir())
    seed_sample_bucket(s3, samples)
    s3.put_object(Bucket=SAMPLE_BUCKET, Key=KEYS[2], Body=b"tampered\n")
    report = seed_sample_bucket(s3, samples)
    assert list(report.uploaded) == [KEYS[2]]
    assert s3.get_object(Bucket=SAMPLE_BUCKET, Key=KEYS[2])["Body"].read() != b"tampered\n"


def mlci(*args: str, home: Path, samples: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MLCI_SAMPLES"))}
    if samples is not None:
        env["MLCI_SAMPLES_DIR"] = str(samples)
    return subprocess.run(
        [sys.executable, "-m", "mlci", "cloud", *args, "--home", str(home)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_cli_end_to_end(tmp_path: Path) -> None:
    folder = samples_dir()
    home = tmp_path / "cloud"
    assert mlci("seed-samples", "--from", str(folder), home=home).stderr.strip() == (
        "Error: the cloud is not running; start it with: mlci cloud start"
    )
    started = mlci("start", "--port", "0", home=home)
    assert started.returncode == 0, started.stderr
    try:
        seeded = mlci("seed-samples", "--from", str(folder), home=home)
        assert seeded.returncode == 0, seeded.stderr
        for key in KEYS:
            assert f"uploaded s3://{SAMPLE_BUCKET}/{key} (" in seeded.stdout
        again = mlci("seed-samples", home=home, samples=folder)  # the folder from the env
        assert again.returncode == 0, again.stderr
        assert f"samples from {folder}" in again.stdout
        assert "uploaded" not in again.stdout
        assert again.stdout.count("unchanged s3://") == 4
        bad = mlci("seed-samples", "--from", str(tmp_path / "missing"), home=home)
        assert bad.returncode == 1
        assert "sample folder" in bad.stderr and "does not exist" in bad.stderr
        assert not (home / "samples").exists()  # a folder was given: nothing downloaded
    finally:
        mlci("stop", home=home)


def test_seeding_from_another_region_creates_the_bucket_there(cloud: RunningCloud) -> None:
    s3 = boto3.client(
        "s3",
        endpoint_url=cloud.url,
        aws_access_key_id=cloud.access_key,
        aws_secret_access_key=cloud.secret_key,
        region_name="eu-west-1",
        config=Config(s3={"addressing_style": "path"}),
    )
    report = seed_sample_bucket(s3, locate(samples_dir()), bucket="samples-eu-west-1")
    assert sorted(report.uploaded) == sorted(KEYS)
    location = s3.get_bucket_location(Bucket="samples-eu-west-1")["LocationConstraint"]
    assert location == "eu-west-1"
