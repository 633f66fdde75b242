"""Presigned S3 URLs as boto3 and the AWS CLI make them (SigV2 query auth by default, SigV4
when configured), fetched with a plain HTTP client."""

from __future__ import annotations

import os
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from tests.conftest import RunningCloud

BUCKET = "presigned-bucket"


@pytest.fixture(scope="module")
def stored(cloud: RunningCloud) -> bytes:
    body = os.urandom(2048)
    s3 = cloud.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="dir/report ✓.bin", Body=body)
    return body


def _presigner(cloud: RunningCloud, **config: object):  # type: ignore[no-untyped-def]
    return boto3.client(
        "s3",
        endpoint_url=cloud.url,
        region_name=cloud.region,
        aws_access_key_id=cloud.access_key,
        aws_secret_access_key=cloud.secret_key,
        config=Config(s3={"addressing_style": "path"}, **config),
    )


def _fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.mark.parametrize("signature_version", [None, "s3v4"])
def test_presigned_get_returns_the_object(
    cloud: RunningCloud, stored: bytes, signature_version: str | None
) -> None:
    extra = {"signature_version": signature_version} if signature_version else {}
    url = _presigner(cloud, **extra).generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": "dir/report ✓.bin"}, ExpiresIn=60
    )
    assert _fetch(url) == (200, stored)


def test_expired_presigned_url_is_refused(cloud: RunningCloud, stored: bytes) -> None:
    url = _presigner(cloud).generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": "dir/report ✓.bin"}, ExpiresIn=-10
    )
    status, body = _fetch(url)
    assert status == 403
    assert b"Request has expired" in body


def test_presigned_url_for_another_key_is_refused(cloud: RunningCloud, stored: bytes) -> None:
    url = _presigner(cloud).generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": "dir/report ✓.bin"}, ExpiresIn=60
    )
    status, body = _fetch(url.replace("/dir/", "/other/"))
    assert status == 403
    assert b"SignatureDoesNotMatch" in body


def test_presigned_url_with_unknown_key_is_refused(cloud: RunningCloud, stored: bytes) -> None:
    url = _presigner(cloud).generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": "dir/report ✓.bin"}, ExpiresIn=60
    )
    status, body = _fetch(url.replace(cloud.access_key, "AKIAUNKNOWNUNKNOWN00"))
    assert status == 403
    assert b"InvalidAccessKeyId" in body


def test_aws_cli_presign(cloud: RunningCloud, stored: bytes, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("")
    env = {
        **os.environ,
        **cloud.env(),
        "AWS_CONFIG_FILE": str(empty),
        "AWS_SHARED_CREDENTIALS_FILE": str(empty),
    }
    result = subprocess.run(
        ["aws", "s3", "presign", f"s3://{BUCKET}/dir/report ✓.bin", "--expires-in", "60"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    assert _fetch(result.stdout.strip()) == (200, stored)
