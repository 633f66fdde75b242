"""The AWS CLI v1 against the cloud: cp up and down (multipart at 20 MB), ls, sync, rm."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import RunningCloud
from tests.integration.cloud.s3_support import new_bucket

AWS = shutil.which("aws")
pytestmark = pytest.mark.skipif(AWS is None, reason="the AWS CLI is not installed")


@pytest.fixture
def aws(cloud: RunningCloud, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Run `aws --endpoint-url <cloud> ...` with no user configuration in the way."""
    empty = tmp_path / "empty-aws-config"
    empty.write_text("")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        **cloud.env(),
        "AWS_CONFIG_FILE": str(empty),
        "AWS_SHARED_CREDENTIALS_FILE": str(empty),
    }

    def run(*args: str) -> str:
        result = subprocess.run(
            [str(AWS), "--endpoint-url", cloud.url, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    return run


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def test_cp_up_and_down_of_a_multipart_file(aws, s3, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bucket = new_bucket(s3)
    source = tmp_path / "data.bin"
    source.write_bytes(os.urandom(20 * 1024 * 1024))
    aws("s3", "cp", str(source), f"s3://{bucket}/dir/data.bin")
    head = s3.head_object(Bucket=bucket, Key="dir/data.bin")
    assert head["ContentLength"] == 20 * 1024 * 1024
    assert head["ETag"].endswith('-3"')  # the CLI's 8 MiB parts
    target = tmp_path / "back.bin"
    aws("s3", "cp", f"s3://{bucket}/dir/data.bin", str(target))
    assert _md5(target) == _md5(source)
    listing = aws("s3", "ls", f"s3://{bucket}/dir/")
    assert "data.bin" in listing and str(20 * 1024 * 1024) in listing
    assert "PRE dir/" in aws("s3", "ls", f"s3://{bucket}")
    assert bucket in aws("s3", "ls")


def test_sync_both_ways_and_rm(aws, s3, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bucket = new_bucket(s3)
    local = tmp_path / "model"
    (local / "sub").mkdir(parents=True)
    files = {"a.csv": b"1,2,3\n", "sub/b.json": b"{}", "sub/space name.txt": os.urandom(1000)}
    for name, data in files.items():
        (local / name).write_bytes(data)
    aws("s3", "sync", str(local), f"s3://{bucket}/model")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == sorted(f"model/{name}" for name in files)
    assert aws("s3", "sync", str(local), f"s3://{bucket}/model").strip() == ""  # nothing new
    back = tmp_path / "back"
    aws("s3", "sync", f"s3://{bucket}/model", str(back))
    for name, data in files.items():
        assert (back / name).read_bytes() == data
    aws("s3", "rm", "--recursive", f"s3://{bucket}/model")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
