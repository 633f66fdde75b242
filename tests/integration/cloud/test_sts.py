"""STS through boto3 and the AWS CLI: GetCallerIdentity, auth failures, unimplemented actions."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.conftest import RunningCloud


def _sts(cloud: RunningCloud, key: str, secret: str) -> Any:
    return boto3.client(
        "sts",
        endpoint_url=cloud.url,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        region_name=cloud.region,
        config=Config(retries={"max_attempts": 1}),
    )


def _cli(cloud: RunningCloud, tmp_path: Path, **overrides: str) -> subprocess.CompletedProcess[str]:
    """`aws sts get-caller-identity` with the cloud's environment and no user AWS config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(cloud.env())
    env.update(
        AWS_CONFIG_FILE=str(tmp_path / "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"),
        **overrides,
    )
    return subprocess.run(
        ["aws", "sts", "get-caller-identity", "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_get_caller_identity_through_boto3(cloud: RunningCloud) -> None:
    identity = cloud.client("sts").get_caller_identity()
    assert identity["Account"] == cloud.account_id
    assert identity["Arn"] == f"arn:aws:iam::{cloud.account_id}:user/mlci"
    assert identity["UserId"] == cloud.access_key


def test_get_caller_identity_through_the_aws_cli(cloud: RunningCloud, tmp_path: Path) -> None:
    result = _cli(cloud, tmp_path)
    assert result.returncode == 0, result.stderr
    identity = json.loads(result.stdout)
    assert identity["Account"] == cloud.account_id
    assert identity["Arn"] == f"arn:aws:iam::{cloud.account_id}:user/mlci"


def test_the_aws_cli_reports_a_bad_secret(cloud: RunningCloud, tmp_path: Path) -> None:
    result = _cli(cloud, tmp_path, AWS_SECRET_ACCESS_KEY="not-the-secret")
    assert result.returncode != 0
    assert "SignatureDoesNotMatch" in result.stderr
    assert cloud.secret_key not in result.stderr


def test_unknown_access_key_is_invalid_client_token_id(cloud: RunningCloud) -> None:
    with pytest.raises(ClientError) as info:
        _sts(cloud, "AKIAUNKNOWNUNKNOWN00", cloud.secret_key).get_caller_identity()
    error = info.value.response["Error"]
    assert error["Code"] == "InvalidClientTokenId"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_wrong_secret_is_signature_does_not_match(cloud: RunningCloud) -> None:
    with pytest.raises(ClientError) as info:
        _sts(cloud, cloud.access_key, "not-the-secret").get_caller_identity()
    error = info.value.response["Error"]
    assert error["Code"] == "SignatureDoesNotMatch"
    assert "signature we calculated does not match" in error["Message"]
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_unimplemented_action_is_named(cloud: RunningCloud) -> None:
    with pytest.raises(ClientError) as info:
        cloud.client("sts").assume_role(
            RoleArn=f"arn:aws:iam::{cloud.account_id}:role/any", RoleSessionName="ci-session"
        )
    error = info.value.response["Error"]
    assert error["Code"] == "InvalidAction"
    assert error["Message"] == "mlci cloud does not implement sts.AssumeRole"
    assert cloud.client("sts").get_caller_identity()["Account"] == cloud.account_id


def test_a_request_without_an_action_is_refused(cloud: RunningCloud) -> None:
    body = b"Version=2011-06-15"
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    request = AWSRequest(method="POST", url=cloud.url + "/", data=body, headers=headers)
    SigV4Auth(Credentials(cloud.access_key, cloud.secret_key), "sts", cloud.region).add_auth(
        request
    )
    parts = urlsplit(cloud.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("POST", "/", body=body, headers=dict(request.headers.items()))
        response = conn.getresponse()
        status, reply = response.status, response.read().decode()
    finally:
        conn.close()
    assert status == 400
    assert "<Code>MissingAction</Code>" in reply
    assert "names no Action" in reply
