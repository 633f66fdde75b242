"""Registry and S3 latency/throughput: mlci cloud against moto_server, in one run.

Each request is signed once with botocore and replayed over a keep-alive connection, so the
figures are the servers' own cost, not boto3's. Run: python bench/cloud_api.py [--quick]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import machine, summary_ms, table, write_section
from servers import Server, start_mlci, start_moto

REGION = "us-east-1"
GROUP = "bench-group"
BUCKET = "bench-bucket"


@dataclass(frozen=True)
class Signed:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


def sign(
    server: Server,
    service: str,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> Signed:
    request = AWSRequest(method=method, url=server.url + path, data=body, headers=headers or {})
    signer_class = S3SigV4Auth if service == "s3" else SigV4Auth
    signer_class(Credentials(server.access_key, server.secret_key), service, REGION).add_auth(
        request
    )
    prepared = request.prepare()
    return Signed(method, path, dict(prepared.headers.items()), body)


def sagemaker_call(server: Server, operation: str, params: dict[str, object]) -> Signed:
    headers = {
        "X-Amz-Target": f"SageMaker.{operation}",
        "Content-Type": "application/x-amz-json-1.1",
    }
    return sign(server, "sagemaker", "POST", "/", json.dumps(params).encode(), headers)


def client(server: Server, service: str) -> Any:
    return server.client(service, REGION, retries={"max_attempts": 2}, max_pool_connections=16)


def populate(server: Server, packages: int) -> str:
    """A group of `packages` versions (every other one Approved) and a bucket; returns an ARN."""
    sm = client(server, "sagemaker")
    sm.create_model_package_group(ModelPackageGroupName=GROUP)
    spec = {
        "Containers": [
            {
                "Image": "123.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.5-1",
                "ModelDataUrl": "s3://b/model.tar.gz",
            }
        ],
        "SupportedContentTypes": ["text/csv"],
        "SupportedResponseMIMETypes": ["text/csv"],
    }

    def register(index: int) -> str:
        status = "Approved" if index % 2 else "PendingManualApproval"
        reply = sm.create_model_package(
            ModelPackageGroupName=GROUP, ModelApprovalStatus=status, InferenceSpecification=spec
        )
        return str(reply["ModelPackageArn"])

    # moto numbers versions racily under concurrent registration (HTTP 500s), so it is
    # filled from one thread; the fill time is not one of the measured figures.
    with ThreadPoolExecutor(8 if server.name == "mlci" else 1) as pool:
        arns = list(pool.map(register, range(packages)))
    client(server, "s3").create_bucket(Bucket=BUCKET)
    return arns[len(arns) // 2]


def replay(server: Server, request: Signed, seconds: float) -> tuple[list[float], int]:
    """Send `request` again and again for `seconds`; (latencies of successes, failures)."""
    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    samples: list[float] = []
    failures = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        conn.request(request.method, request.path, body=request.body, headers=request.headers)
        response = conn.getresponse()
        response.read()
        if response.status < 300:
            samples.append(time.perf_counter() - start)
        else:
            failures += 1
    conn.close()
    return samples, failures


def throughput(server: Server, request: Signed, seconds: float, clients: int) -> tuple[float, int]:
    """Successful requests per second from `clients` concurrent connections, and failures."""
    with ThreadPoolExecutor(clients) as pool:
        runs = list(pool.map(lambda _: replay(server, request, seconds), range(clients)))
    return sum(len(ok) for ok, _ in runs) / seconds, sum(failed for _, failed in runs)


def operations(server: Server, package_arn: str) -> dict[str, Signed]:
    small, large = os.urandom(1024), os.urandom(1024 * 1024)
    for key, body in (("obj-1k", small), ("obj-1m", large)):
        client(server, "s3").put_object(Bucket=BUCKET, Key=key, Body=body)
    return {
        "ListModelPackages (10k, Approved, newest, 1)": sagemaker_call(
            server,
            "ListModelPackages",
            {
                "ModelPackageGroupName": GROUP,
                "ModelApprovalStatus": "Approved",
                "SortBy": "CreationTime",
                "SortOrder": "Descending",
                "MaxResults": 1,
            },
        ),
        "DescribeModelPackage": sagemaker_call(
            server, "DescribeModelPackage", {"ModelPackageName": package_arn}
        ),
        "GetObject 1 KB": sign(server, "s3", "GET", f"/{BUCKET}/obj-1k"),
        "GetObject 1 MB": sign(server, "s3", "GET", f"/{BUCKET}/obj-1m"),
        "PutObject 1 KB": sign(server, "s3", "PUT", f"/{BUCKET}/put-1k", small),
        "PutObject 1 MB": sign(server, "s3", "PUT", f"/{BUCKET}/put-1m", large),
    }


def measure(
    server: Server, packages: int, seconds: float, clients: int
) -> dict[str, tuple[float, float, float, int]]:
    """Per operation: (p50 ms, p99 ms, requests/s, failed requests)."""
    started = time.perf_counter()
    arn = populate(server, packages)
    elapsed = time.perf_counter() - started
    print(f"  {server.name}: {packages} packages registered in {elapsed:.1f} s", flush=True)
    results = {}
    for name, request in operations(server, arn).items():
        samples, failed = replay(server, request, seconds)
        p50, p99, _ = summary_ms(samples)
        rate, failed_concurrently = throughput(server, request, seconds, clients)
        results[name] = (p50, p99, rate, failed + failed_concurrently)
        print(
            f"  {server.name}: {name}: p50 {p50:.2f} ms, p99 {p99:.2f} ms, {rate:.0f}/s, "
            f"{failed + failed_concurrently} failed",
            flush=True,
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1,000 packages, 1 s per figure")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()
    packages, seconds, clients = (1000, 1.0, 4) if args.quick else (10_000, 3.0, 4)

    ours = start_mlci()
    try:
        time.sleep(1.0)
        idle_rss = ours.rss_mb()
        mine = measure(ours, packages, seconds, clients)
        busy_rss = ours.rss_mb()
    finally:
        ours.stop()
    moto = start_moto()
    try:
        theirs = measure(moto, packages, seconds, clients)
    finally:
        moto.stop()

    rows = []
    for name, (p50, p99, rate, failed) in mine.items():
        m50, m99, mrate, mfailed = theirs[name]
        figures = [p50, m50, p99, m99]
        rows.append(
            [
                name,
                *(f"{value:.2f}" for value in figures),
                f"{rate:.0f}",
                f"{mrate:.0f}",
                f"{rate / mrate:.1f}x",
                f"{failed} / {mfailed}",
            ]
        )
    header = [
        "operation",
        "p50 ms mlci",
        "p50 ms moto",
        "p99 ms mlci",
        "p99 ms moto",
        "req/s mlci",
        "req/s moto",
        "throughput ratio",
        "failed mlci / moto",
    ]
    text = table(header, rows)
    memory = (
        f"mlci cloud RSS: idle {idle_rss:.0f} MB, after the run {busy_rss:.0f} MB "
        "(target: idle <= 150 MB)."
    )
    print()
    print(text)
    print(memory)
    if not args.no_write and not args.quick:
        write_section(
            "mlci cloud API vs moto_server",
            "\n\n".join(
                [
                    f"`python bench/cloud_api.py` on {machine()}: {packages} packages in one "
                    f"group, each figure over {seconds:.0f} s; latency from one keep-alive "
                    f"client, throughput from {clients} concurrent clients. Requests are signed "
                    "once and replayed, so this is server cost, not boto3's. mlci writes are "
                    "durable (fsync'd file + SQLite WAL commit); moto keeps everything in memory.",
                    text,
                    memory,
                ]
            ),
        )


if __name__ == "__main__":
    main()
