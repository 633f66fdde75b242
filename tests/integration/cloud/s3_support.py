"""Helpers shared by the S3 tests: fresh buckets, and raw SigV4-signed requests.

Raw requests are signed with botocore's own signer but let a test send what boto3 never
would (a wrong x-amz-content-sha256, a malformed body, an aws-chunked body with signatures).
"""

from __future__ import annotations

import http.client
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.conftest import RunningCloud


def new_bucket(s3) -> str:  # type: ignore[no-untyped-def]
    """Create a bucket no other test uses (they share the session's cloud)."""
    name = f"t-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name)
    return name


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes


class _FixedPayloadSigner(S3SigV4Auth):
    """Signs with the given x-amz-content-sha256 value instead of hashing the body."""

    payload_value = ""

    def payload(self, request: AWSRequest) -> str:
        return self.payload_value or super().payload(request)


def raw_s3(
    cloud: RunningCloud,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    content_sha256: str = "",
) -> RawResponse:
    """Send one signed S3 request; `path` goes on the wire exactly as given."""
    request = AWSRequest(method=method, url=cloud.url + path, data=body, headers=headers or {})
    signer = _FixedPayloadSigner(
        Credentials(cloud.access_key, cloud.secret_key), "s3", cloud.region
    )
    signer.payload_value = content_sha256
    signer.add_auth(request)
    prepared = request.prepare()
    parts = urlsplit(cloud.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=dict(prepared.headers.items()))
        response = conn.getresponse()
        data = response.read()
        return RawResponse(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
    finally:
        conn.close()
