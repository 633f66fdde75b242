"""InvokeEndpoint refusals: the model's own ModelError for bodies it cannot read, and the
runtime's ValidationError for requests it will not forward. After each, the endpoint serves."""

from __future__ import annotations

import http.client
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.conftest import RunningCloud
from tests.integration.cloud.hosting_support import (
    abalone_model,
    config_for,
    endpoint,
    invoke,
    predictions,
)


@pytest.fixture(scope="module")
def name(cloud: RunningCloud) -> Iterator[str]:
    with endpoint(cloud, config_for(cloud, abalone_model())) as created:
        yield created


@pytest.fixture
def runtime(cloud: RunningCloud) -> Any:
    return cloud.client("sagemaker-runtime")


@pytest.fixture(autouse=True)
def still_serving(cloud: RunningCloud, name: str) -> Iterator[None]:
    yield
    model = abalone_model()
    rows = model.features[:2]
    assert np.allclose(predictions(invoke(cloud, name, model.csv(rows))), model.predict(rows))


@pytest.mark.parametrize(
    ("body", "content_type", "status", "message"),
    [
        (b"0.5,0.4,abc,0.1,0.2,0.3,0.1,0.2\n", "text/csv", 415, "Loading csv data failed"),
        (
            b"0.5,0.4,0.3\n",
            "text/csv",
            400,
            "Feature size of csv inference data 3 is not consistent",
        ),
        (b"", "text/csv", 400, "The request body is empty"),
        (b"\n\n", "text/csv", 400, "The request body is empty"),
        (b"1:0.5 2:x\n", "text/libsvm", 415, "Loading libsvm data failed"),
        (b"1:0.5 40:0.1\n", "text/libsvm", 400, "larger than feature size of trained model 8"),
        (b'{"instances": [[1, 2], [1]]}', "application/json", 415, "row 2 has 1 values"),
        (b"\x89PNG", "image/png", 415, "image/png is not an accepted ContentType"),
    ],
)
def test_unreadable_bodies_are_the_models_error(
    runtime: Any, name: str, body: bytes, content_type: str, status: int, message: str
) -> None:
    with pytest.raises(runtime.exceptions.ModelError, match=message) as raised:
        runtime.invoke_endpoint(EndpointName=name, Body=body, ContentType=content_type)
    error = raised.value.response
    assert error["Error"]["Code"] == "ModelError"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert error["OriginalStatusCode"] == status
    assert message in error["OriginalMessage"]
    kind = "client" if status < 500 else "server"
    assert error["Error"]["Message"].startswith(f"Received {kind} error ({status}) from primary")


def test_an_unsupported_accept_is_the_models_406(runtime: Any, name: str) -> None:
    with pytest.raises(runtime.exceptions.ModelError, match="text/html") as raised:
        runtime.invoke_endpoint(
            EndpointName=name, Body=b"1,2,3,4,5,6,7,8", ContentType="text/csv", Accept="text/html"
        )
    assert raised.value.response["OriginalStatusCode"] == 406


def test_a_body_over_6_mb_is_refused_before_the_model(runtime: Any, name: str) -> None:
    body = b"0.5,0.4,0.3,0.1,0.2,0.3,0.1,0.2\n" * (6 * 1024 * 1024 // 32 + 1)
    assert len(body) > 6 * 1024 * 1024
    with pytest.raises(
        runtime.exceptions.ValidationError,
        match=rf"payload of {len(body)} bytes exceeds the InvokeEndpoint limit",
    ):
        runtime.invoke_endpoint(EndpointName=name, Body=body, ContentType="text/csv")


def test_a_body_declared_far_over_the_limit_is_refused_before_it_is_read(
    cloud: RunningCloud, name: str
) -> None:
    parts = urlsplit(cloud.url)
    scope = f"{cloud.access_key}/20260101/{cloud.region}/sagemaker/aws4_request"
    head = (
        f"POST /endpoints/{name}/invocations HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Authorization: AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=00\r\n"
        "Content-Type: text/csv\r\nContent-Length: 20000000\r\n\r\n"
    )
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(head.encode())  # and not one byte of the 20 MB
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 400")
    assert b'"__type": "ValidationError"' in reply or b'"__type":"ValidationError"' in reply
    assert b"exceeds the limit" in reply


def test_an_unknown_endpoint_is_sagemakers_validation_error(
    cloud: RunningCloud, runtime: Any
) -> None:
    with pytest.raises(
        runtime.exceptions.ValidationError,
        match=f"Endpoint no-such-endpoint of account {cloud.account_id} not found",
    ) as raised:
        runtime.invoke_endpoint(
            EndpointName="no-such-endpoint", Body=b"1,2", ContentType="text/csv"
        )
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def _signed(
    cloud: RunningCloud, method: str, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, bytes]:
    request = AWSRequest(method=method, url=cloud.url + path, data=body, headers=headers)
    SigV4Auth(Credentials(cloud.access_key, cloud.secret_key), "sagemaker", cloud.region).add_auth(
        request
    )
    parts = urlsplit(cloud.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=dict(request.headers.items()))
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_other_runtime_paths_and_methods_are_named_as_unsupported(
    cloud: RunningCloud, name: str
) -> None:
    status, body = _signed(cloud, "GET", f"/endpoints/{name}/invocations", b"", {})
    assert status == 400
    assert b"serves POST /endpoints/<name>/invocations only, not GET" in body
    status, body = _signed(cloud, "POST", f"/endpoints/{name}/async-invocations", b"", {})
    assert b"UnknownOperationException" in body


def test_header_values_must_be_visible_ascii(cloud: RunningCloud, name: str) -> None:
    headers = {"Content-Type": "text/csv", "X-Amzn-SageMaker-Custom-Attributes": "caf\u00e9"}
    status, body = _signed(
        cloud, "POST", f"/endpoints/{name}/invocations", b"1,2,3,4,5,6,7,8", headers
    )
    assert status == 400
    assert b"X-Amzn-SageMaker-Custom-Attributes must hold visible US-ASCII characters" in body


def test_custom_attributes_longer_than_1024_characters_are_refused(runtime: Any, name: str) -> None:
    with pytest.raises(runtime.exceptions.ValidationError, match="longer than 1024 characters"):
        runtime.invoke_endpoint(
            EndpointName=name,
            Body=b"1,2,3,4,5,6,7,8",
            ContentType="text/csv",
            CustomAttributes="a" * 1025,
        )


def test_unsigned_invocations_are_refused(cloud: RunningCloud, name: str) -> None:
    parts = urlsplit(cloud.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request(
            "POST",
            f"/endpoints/{name}/invocations",
            body=b"1,2",
            headers={"Content-Type": "text/csv"},
        )
        response = connection.getresponse()
        assert response.status == 403
        assert b"Missing Authentication Token" in response.read()
    finally:
        connection.close()
