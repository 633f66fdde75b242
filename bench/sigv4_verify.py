"""µs per SigV4 verification: botocore's signer path (how every request was verified before
`sigv4`) next to `auth.verify` (which takes the lean path for these), per request kind.

Requests are made by real boto3 clients and caught just before they would be sent, so they
carry exactly the headers boto3 signs. No server, no network. Prints a table; writes nothing.

Run: python bench/sigv4_verify.py [--number N]
"""

from __future__ import annotations

import argparse
import contextlib
import hmac
import os
import sys
import timeit
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import machine, table

from mlci.cloud import auth
from mlci.cloud.credentials import Credentials, generate
from mlci.cloud.http import Body, Request

ENDPOINT = "http://127.0.0.1:4599"
CALLS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("InvokeEndpoint (1 CSV row)", "sagemaker-runtime", "invoke_endpoint",
     {"EndpointName": "abalone", "Body": b"M,0.455,0.365,0.095", "ContentType": "text/csv"}),
    ("PutLogEvents", "logs", "put_log_events",
     {"logGroupName": "g", "logStreamName": "s", "logEvents": [{"timestamp": 1, "message": "m"}]}),
    ("DescribeEndpoint", "sagemaker", "describe_endpoint", {"EndpointName": "abalone"}),
    ("GetCallerIdentity", "sts", "get_caller_identity", {}),
]  # fmt: skip


def captured(creds: Credentials, service: str, operation: str, params: dict[str, Any]) -> Request:
    """The request a boto3 client would send, as the server's Request."""
    client = boto3.client(
        service,
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id=creds.access_key_id,
        aws_secret_access_key=creds.secret_access_key,
    )
    sent: list[Any] = []

    def catch(request: Any, **_: Any) -> AWSResponse:
        sent.append(request)
        return AWSResponse(request.url, 500, {}, None)  # stop here: nothing is sent

    client.meta.events.register("before-send", catch)
    with contextlib.suppress(Exception):  # the fake 500 above
        getattr(client, operation)(**params)
    prepared = sent[0]
    path, _, query = prepared.url[len(ENDPOINT) :].partition("?")
    headers = {
        name.lower(): value.decode() if isinstance(value, bytes) else value
        for name, value in prepared.headers.items()
    }
    headers["host"] = ENDPOINT.removeprefix("http://")  # what the HTTP client sends
    request = Request(prepared.method, path, query, headers)
    request.body = Body()
    body = prepared.body or b""
    request.body.write(body if isinstance(body, bytes) else body.encode())
    return request


def botocore_path(request: Request, creds: Credentials) -> None:
    """What verify did for every request before: strptime, datetime.now, botocore's signer."""
    fields = auth.signed_fields(request)
    assert fields is not None
    signed_at = datetime.strptime(fields.timestamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - signed_at) <= auth.MAX_SKEW
    if not hmac.compare_digest(
        auth.reference_signature(request, creds, fields)[1], fields.signature
    ):
        raise AssertionError("botocore refused a request boto3 signed")


def per_call_us(function: Callable[[], None], number: int) -> float:
    return min(timeit.repeat(function, number=number, repeat=5)) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=5000, help="verifications per timing")
    args = parser.parse_args()
    creds = generate()
    rows = []
    for label, service, operation, params in CALLS:
        request = captured(creds, service, operation, params)
        auth.verify(request, creds)  # accepted, and the signing key is cached
        before = per_call_us(partial(botocore_path, request, creds), args.number)
        after = per_call_us(partial(auth.verify, request, creds), args.number)
        rows.append([label, f"{before:.1f}", f"{after:.1f}", f"{before / after:.1f}x"])
    print(machine())
    print(table(["request", "botocore path µs", "auth.verify µs", "speed-up"], rows))


if __name__ == "__main__":
    main()
