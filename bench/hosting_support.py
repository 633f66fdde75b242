"""What the hosting benchmarks share: the abalone booster, endpoints on a cloud, signed
requests replayed by wrk, and the model servers' memory.

The abalone data comes from MLCI_SAMPLES_DIR (the folder with abalone.data); the booster is
trained here, in-process, with the article's hyperparameters. Requests are signed once with
botocore and replayed by `wrk` (a SigV4 signature has no nonce: the same bytes stay valid for
15 minutes), so the figures are the servers' cost, not the client's.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from servers import Server

REGION = "us-east-1"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
ROLE = "arn:aws:iam::123456789012:role/bench"
BUCKET = "bench-models"
SEX_CODES = {"M": 1.0, "F": 2.0, "I": 3.0}
HYPERPARAMETERS = {
    "objective": "reg:squarederror",
    "max_depth": 5,
    "eta": 0.2,
    "gamma": 4,
    "min_child_weight": 6,
    "subsample": 0.7,
}
ROUNDS = 50


def abalone() -> tuple[np.ndarray, np.ndarray]:
    folder = os.environ.get("MLCI_SAMPLES_DIR")
    if not folder or not (Path(folder) / "abalone.data").is_file():
        sys.exit("set MLCI_SAMPLES_DIR to the folder holding abalone.data")
    rows = [line.split(",") for line in (Path(folder) / "abalone.data").read_text().split()]
    features = np.array([[SEX_CODES[r[0]], *map(float, r[1:8])] for r in rows], np.float32)
    return features, np.array([float(r[8]) for r in rows], np.float32)


def train_booster(features: np.ndarray, labels: np.ndarray) -> Any:
    import xgboost

    params = {**HYPERPARAMETERS, "seed": 0, "nthread": 1}
    return xgboost.train(params, xgboost.DMatrix(features, label=labels), ROUNDS)


def model_tarball(booster: Any) -> bytes:
    raw = bytes(booster.save_raw("ubj"))
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("xgboost-model")
        info.size = len(raw)
        tar.addfile(info, io.BytesIO(raw))
    return buffer.getvalue()


def csv_rows(features: np.ndarray) -> bytes:
    return "".join(",".join(f"{v:g}" for v in row) + "\n" for row in features).encode()


def client(server: Server, service: str) -> Any:
    return server.client(service, REGION, retries={"max_attempts": 1})


def upload_model(server: Server, key: str, tarball: bytes) -> str:
    s3 = client(server, "s3")
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=key, Body=tarball)
    return f"s3://{BUCKET}/{key}"


def endpoint_config(server: Server, name: str, model_url: str, instances: int) -> str:
    """A model and an endpoint configuration named `name` serving `model_url`."""
    sm = client(server, "sagemaker")
    container = {"Image": IMAGE, "ModelDataUrl": model_url}
    sm.create_model(ModelName=name, PrimaryContainer=container, ExecutionRoleArn=ROLE)
    variant = {
        "VariantName": "AllTraffic",
        "ModelName": name,
        "InstanceType": "ml.m5.large",
        "InitialInstanceCount": instances,
        "InitialVariantWeight": 1.0,
    }
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[variant])
    return name


def create_endpoint(server: Server, name: str, model_url: str, instances: int) -> None:
    sm = client(server, "sagemaker")
    sm.create_endpoint(
        EndpointName=name, EndpointConfigName=endpoint_config(server, name, model_url, instances)
    )
    status = sm.describe_endpoint(EndpointName=name)
    if status["EndpointStatus"] != "InService":
        sys.exit(f"endpoint {name}: {status['EndpointStatus']} {status.get('FailureReason')}")


@dataclass(frozen=True)
class Signed:
    url: str
    headers: dict[str, str]
    body: bytes


def signed_invocation(server: Server, endpoint: str, body: bytes, content_type: str) -> Signed:
    url = f"{server.url}/endpoints/{endpoint}/invocations"
    request = AWSRequest(
        method="POST",
        url=url,
        data=body,
        headers={"Content-Type": content_type, "Accept": "text/csv"},
    )
    SigV4Auth(Credentials(server.access_key, server.secret_key), "sagemaker", REGION).add_auth(
        request
    )
    headers = {k: v for k, v in request.prepare().headers.items() if k.lower() != "host"}
    return Signed(url, headers, body)


@dataclass(frozen=True)
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    failed: int  # non-2xx answers plus socket errors


def wrk(target: Signed, seconds: float, connections: int, threads: int = 2) -> WrkResult:
    """Replay `target` from `connections` keep-alive connections for `seconds`."""
    binary = shutil.which("wrk")
    if binary is None:
        sys.exit("wrk is not installed (apt-get install -y wrk)")
    with tempfile.TemporaryDirectory(prefix="mlci-wrk-") as scratch:
        body_file = Path(scratch) / "body"
        body_file.write_bytes(target.body)
        script = Path(scratch) / "request.lua"
        lines = [
            'wrk.method = "POST"',
            f"local f = io.open({json.dumps(str(body_file))}, 'rb')",
            "wrk.body = f:read('*a')",
            "f:close()",
        ]
        lines += [
            f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in target.headers.items()
        ]
        script.write_text("\n".join(lines) + "\n")
        command = [
            binary,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds:g}s",
            "--latency",
            "--timeout",
            "10s",
            "-s",
            str(script),
            target.url,
        ]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return parse_wrk(output)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse_wrk(output: str) -> WrkResult:
    def latency(percent: str) -> float:
        match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        return float(match[1]) * _UNITS[match[2]] if match else float("nan")

    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    failed = int(non_2xx[1]) if non_2xx else 0
    failed += sum(int(n) for n in sockets.groups()) if sockets else 0
    return WrkResult(
        float(rate[1]) if rate else 0.0,
        latency("50"),
        latency("99"),
        int(total[1]) if total else 0,
        failed,
    )


def model_server_pids(cloud_pid: int) -> list[int]:
    """The cloud's model-server children that serve a model (not the warm spare): their
    output goes to a log under hosting/deployments/."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
            output = os.readlink(entry / "fd" / "1")
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        serving = b"mlci.algorithms.xgboost.serve" in cmdline and "/deployments/" in output
        if parent == cloud_pid and serving:
            pids.append(int(entry.name))
    return pids


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait_for(url: str, deadline_seconds: float = 120) -> None:
    import urllib.request

    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {deadline_seconds:g} s")
