"""CreateEndpoint -> InService and UpdateEndpoint -> InService on mlci cloud, in one run.

    MLCI_SAMPLES_DIR=<folder with abalone.data> python bench/endpoint_deploy.py [--repeat 5]

Each measure is the wall time from sending the call until DescribeEndpoint shows InService
(CreateEndpoint and UpdateEndpoint finish the deployment before they answer, so that is the
call itself plus one Describe), and then until the endpoint answers an invocation from the new
model. The first CreateEndpoint of a fresh cloud starts its model server cold; later ones take
the warm spare. Target: <= 2 s each.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hosting_support import (
    abalone,
    client,
    csv_rows,
    endpoint_config,
    model_tarball,
    train_booster,
    upload_model,
)
from report import machine, table
from servers import Server, start_mlci


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    features, labels = abalone()
    boosters = [train_booster(features, labels), train_booster(features[:2000], labels[:2000])]
    row = features[:1]
    cloud = start_mlci()
    try:
        configs = []
        for index, booster in enumerate(boosters):
            url = upload_model(cloud, f"deploy/{index}/model.tar.gz", model_tarball(booster))
            configs.append(endpoint_config(cloud, f"deploy-{index}", url, 1))
        expected = [float(b.inplace_predict(row)[0]) for b in boosters]
        created, updated = measure(cloud, configs, expected, csv_rows(row), args.repeat)
    finally:
        cloud.stop()
    report(created, updated)
    return 0


def measure(
    cloud: Server, configs: list[str], expected: list[float], row: bytes, repeat: int
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """(seconds to InService, seconds to the first answer) for each create and update."""
    sagemaker = client(cloud, "sagemaker")
    created, updated = [], []
    for attempt in range(repeat):
        name = f"deploy-bench-{attempt}"
        started = time.perf_counter()
        sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=configs[0])
        created.append(_until_ready(cloud, name, started, expected[0], row))
        for update in range(repeat):
            target = (update + 1) % 2
            started = time.perf_counter()
            sagemaker.update_endpoint(EndpointName=name, EndpointConfigName=configs[target])
            updated.append(_until_ready(cloud, name, started, expected[target], row))
        sagemaker.delete_endpoint(EndpointName=name)
        time.sleep(0.5)  # the deleted endpoint's server stops; the spare is refilled
    return created, updated


def _until_ready(
    cloud: Server, name: str, started: float, expected: float, row: bytes
) -> tuple[float, float]:
    described = client(cloud, "sagemaker").describe_endpoint(EndpointName=name)
    if described["EndpointStatus"] != "InService":
        sys.exit(f"{name}: {described['EndpointStatus']} {described.get('FailureReason')}")
    in_service = time.perf_counter() - started
    runtime = client(cloud, "sagemaker-runtime")
    reply = runtime.invoke_endpoint(EndpointName=name, Body=row, ContentType="text/csv")
    if not np.isclose(float(reply["Body"].read()), expected, rtol=1e-6):
        sys.exit(f"{name}: the endpoint did not answer with the new model")
    return in_service, time.perf_counter() - started


def report(created: list[tuple[float, float]], updated: list[tuple[float, float]]) -> None:
    print(f"\nEndpoint deployment benchmark - {machine()}\n")
    rows = []
    for label, samples in (
        ("CreateEndpoint, first (cold server start)", created[:1]),
        ("CreateEndpoint, later (warm spare)", created[1:]),
        ("UpdateEndpoint (blue/green)", updated),
    ):
        if not samples:
            continue
        ready = [s[0] for s in samples]
        answered = [s[1] for s in samples]
        rows.append(
            [
                label,
                str(len(samples)),
                f"{statistics.median(ready):.2f}",
                f"{max(ready):.2f}",
                f"{statistics.median(answered):.2f}",
                "met" if max(ready) <= 2.0 else "NOT met",
            ]
        )
    header = [
        "operation",
        "runs",
        "median s to InService",
        "max s",
        "median s to 1st answer",
        "<= 2 s",
    ]
    print(table(header, rows))


if __name__ == "__main__":
    sys.exit(main())
