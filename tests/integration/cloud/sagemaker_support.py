"""Helpers shared by the SageMaker tests: unique names, a package spec, raw signed requests.

Raw requests are signed with botocore's own SigV4 signer but skip botocore's client-side
parameter validation, so the server's validation of malformed input can be tested.
"""

from __future__ import annotations

import http.client
import json
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.conftest import RunningCloud

INFERENCE_SPECIFICATION: dict[str, Any] = {
    "Containers": [
        {
            "Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
            "ModelDataUrl": "s3://models/abalone/model.tar.gz",
            "Environment": {"SAGEMAKER_PROGRAM": "inference.py"},
        }
    ],
    "SupportedContentTypes": ["text/csv"],
    "SupportedResponseMIMETypes": ["text/csv"],
}
ROLE_ARN = "arn:aws:iam::123456789012:role/sagemaker-execution"


def unique(prefix: str) -> str:
    """A resource name no other test (sharing the session's cloud) uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@dataclass(frozen=True)
class RawReply:
    status: int
    body: dict[str, Any]

    @property
    def code(self) -> str:
        return str(self.body.get("__type", ""))

    @property
    def message(self) -> str:
        return str(self.body.get("message", ""))


def raw_call(cloud: RunningCloud, operation: str, body: bytes | str | dict[str, Any]) -> RawReply:
    """POST a SageMaker JSON request exactly as given (a dict is JSON-encoded), signed."""
    if isinstance(body, dict):
        body = json.dumps(body)
    data = body.encode() if isinstance(body, str) else body
    headers = {
        "X-Amz-Target": f"SageMaker.{operation}",
        "Content-Type": "application/x-amz-json-1.1",
    }
    request = AWSRequest(method="POST", url=cloud.url + "/", data=data, headers=headers)
    credentials = Credentials(cloud.access_key, cloud.secret_key)
    SigV4Auth(credentials, "sagemaker", cloud.region).add_auth(request)
    parts = urlsplit(cloud.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("POST", "/", body=data, headers=dict(request.headers.items()))
        response = conn.getresponse()
        reply = response.read()
    finally:
        conn.close()
    return RawReply(response.status, json.loads(reply) if reply else {})
