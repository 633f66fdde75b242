"""Helpers shared by the CloudWatch Logs tests: unique names, stream set-up, raw requests.

Raw requests are signed with botocore's own SigV4 signer but bypass the client's serialiser
and parameter validation, so the server's handling of malformed input can be tested.
"""

from __future__ import annotations

import http.client
import json
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.conftest import RunningCloud

TARGET_PREFIX = "Logs_20140328"


def unique(prefix: str) -> str:
    """A name no other test sharing the session's cloud uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def now_ms() -> int:
    return int(time.time() * 1000)


def new_stream(logs: Any, group: str | None = None, stream: str = "s") -> tuple[str, str]:
    group = group or unique("/mlci/test")
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    return group, stream


def raw_call(cloud: RunningCloud, operation: str, body: bytes) -> tuple[int, dict[str, Any]]:
    """POST `body` as the Logs operation, signed; return the status and the decoded reply."""
    url = cloud.url + "/"
    headers = {
        "X-Amz-Target": f"{TARGET_PREFIX}.{operation}",
        "Content-Type": "application/x-amz-json-1.1",
    }
    request = AWSRequest(method="POST", url=url, data=body, headers=headers)
    credentials = Credentials(cloud.access_key, cloud.secret_key)
    SigV4Auth(credentials, "logs", cloud.region).add_auth(request)
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("POST", "/", body=body, headers=dict(request.headers.items()))
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()
