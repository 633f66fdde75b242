"""The server as a whole: health, auth failures per protocol family, oversized bodies."""

from __future__ import annotations

import http.client
import json
import socket
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import RunningCloud


def _connection(cloud: RunningCloud) -> http.client.HTTPConnection:
    parts = urlsplit(cloud.url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)


def _raw(cloud: RunningCloud, method: str, path: str, body: bytes = b"", **headers: str):
    conn = _connection(cloud)
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, dict(response.getheaders()), data


def _reply_to(cloud: RunningCloud, head: str, extra: bytes = b"") -> str:
    """Send raw bytes; read the reply until the server closes the connection."""
    parts = urlsplit(cloud.url)
    chunks = []
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(head.encode() + extra)
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode("latin-1")


def assert_healthy(cloud: RunningCloud) -> None:
    status, _, body = _raw(cloud, "GET", "/_mlci/health")
    assert status == 200
    assert json.loads(body)["status"] == "ok"


def _client(cloud: RunningCloud, service: str, key: str, secret: str):  # type: ignore[no-untyped-def]
    return boto3.client(
        service,
        endpoint_url=cloud.url,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        region_name=cloud.region,
        config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}),
    )


def test_health_needs_no_credentials_and_shows_no_secrets(cloud: RunningCloud) -> None:
    status, _, body = _raw(cloud, "GET", "/_mlci/health")
    assert status == 200
    assert cloud.secret_key not in body.decode()
    assert cloud.access_key not in body.decode()


@pytest.mark.parametrize(
    ("method", "path", "headers", "code"),
    [
        ("GET", "/some-bucket", {}, "AccessDenied"),
        (
            "POST",
            "/",
            {"X-Amz-Target": "SageMaker.ListModels"},
            "MissingAuthenticationTokenException",
        ),
        (
            "POST",
            "/endpoints/some-endpoint/invocations",
            {"Content-Type": "text/csv"},
            "MissingAuthenticationTokenException",
        ),
        (
            "POST",
            "/",
            {"Content-Type": "application/x-www-form-urlencoded"},
            "MissingAuthenticationToken",
        ),
    ],
)
def test_unsigned_requests_are_refused(
    cloud: RunningCloud, method: str, path: str, headers: dict[str, str], code: str
) -> None:
    body = b"Action=GetCallerIdentity&Version=2011-06-15" if "Content-Type" in headers else b"{}"
    status, _, data = _raw(cloud, method, path, body, **headers)
    assert status == 403
    assert code in data.decode()
    assert_healthy(cloud)


@pytest.mark.parametrize(
    ("service", "call", "code"),
    [
        ("s3", lambda c: c.list_buckets(), "SignatureDoesNotMatch"),
        ("sagemaker", lambda c: c.list_models(), "InvalidSignatureException"),
        ("logs", lambda c: c.describe_log_groups(), "InvalidSignatureException"),
        ("sts", lambda c: c.get_caller_identity(), "SignatureDoesNotMatch"),
    ],
)
def test_wrong_secret_is_refused_with_the_clients_code(
    cloud: RunningCloud, service: str, call, code: str
) -> None:  # type: ignore[no-untyped-def]
    client = _client(cloud, service, cloud.access_key, "not-the-secret")
    with pytest.raises(ClientError, match=code) as info:
        call(client)
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert_healthy(cloud)


@pytest.mark.parametrize(
    ("service", "call", "code"),
    [
        ("s3", lambda c: c.list_buckets(), "InvalidAccessKeyId"),
        ("sagemaker", lambda c: c.list_models(), "UnrecognizedClientException"),
        ("logs", lambda c: c.describe_log_groups(), "UnrecognizedClientException"),
        ("sts", lambda c: c.get_caller_identity(), "InvalidClientTokenId"),
    ],
)
def test_unknown_access_key_is_refused(cloud: RunningCloud, service: str, call, code: str) -> None:  # type: ignore[no-untyped-def]
    client = _client(cloud, service, "AKIAUNKNOWNUNKNOWN00", cloud.secret_key)
    with pytest.raises(ClientError, match=code):
        call(client)
    assert_healthy(cloud)


def test_error_messages_never_contain_the_secret(cloud: RunningCloud) -> None:
    client = _client(cloud, "sts", cloud.access_key, "wrong")
    with pytest.raises(ClientError) as info:
        client.get_caller_identity()
    assert cloud.secret_key not in str(info.value.response)


def test_unimplemented_service_is_named(cloud: RunningCloud) -> None:
    client = cloud.client("dynamodb")
    with pytest.raises(ClientError, match="does not implement the 'dynamodb' service"):
        client.list_tables()
    assert_healthy(cloud)


def test_six_gigabyte_content_length_is_refused_before_reading(cloud: RunningCloud) -> None:
    parts = urlsplit(cloud.url)
    scope = f"{cloud.access_key}/20260101/{cloud.region}/s3/aws4_request"
    head = (
        f"PUT /bucket/huge HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Authorization: AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=00\r\n"
        "Content-Length: 6000000000\r\n\r\n"
    )
    reply = _reply_to(cloud, head, b"x" * 1024)
    assert reply.startswith("HTTP/1.1 400")
    assert "EntityTooLarge" in reply
    assert_healthy(cloud)


def test_oversized_api_body_is_refused(cloud: RunningCloud) -> None:
    parts = urlsplit(cloud.url)
    scope = f"{cloud.access_key}/20260101/{cloud.region}/sagemaker/aws4_request"
    head = (
        f"POST / HTTP/1.1\r\nHost: {parts.netloc}\r\nX-Amz-Target: SageMaker.ListModels\r\n"
        f"Authorization: AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=00\r\n"
        f"Content-Length: {64 * 1024 * 1024}\r\n\r\n"
    )
    reply = _reply_to(cloud, head)
    assert reply.startswith("HTTP/1.1 400")
    assert "ValidationException" in reply and "exceeds the limit" in reply
    assert_healthy(cloud)
