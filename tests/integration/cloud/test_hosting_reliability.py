"""Zero failed requests: through 20 blue/green updates under 16 concurrent clients, through an
update to a corrupt artifact, through `kill -9` of a model server; endpoints back after a
cloud restart; no model server outliving the cloud, whether stopped or killed.

Each test runs its own cloud (so the model servers it counts are its own)."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import RunningCloud, start_cloud
from tests.integration.cloud.hosting_support import (
    TrainedModel,
    abalone_model,
    config_for,
    invoke,
    predictions,
    processes_serving,
    server_pids,
    tarball_of,
)
from tests.integration.cloud.sagemaker_support import unique

CLIENTS = 16


@pytest.fixture
def own_cloud(tmp_path: Path) -> Iterator[RunningCloud]:
    running = start_cloud(tmp_path / "home")
    yield running
    running.stop()


class Traffic:
    """`clients` threads invoking the endpoint back to back, each with its own boto3 client,
    recording which model answered each request and every request that failed."""

    def __init__(
        self,
        cloud: RunningCloud,
        name: str,
        models: dict[str, TrainedModel],
        clients: int = CLIENTS,
    ) -> None:
        self.row = next(iter(models.values())).features[:1]
        self.body = next(iter(models.values())).csv(self.row)
        self.expected = {label: model.predict(self.row) for label, model in models.items()}
        self.answers: Counter[str] = Counter()
        self.failures: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        runtimes = [cloud.client("sagemaker-runtime") for _ in range(clients)]
        self._threads = [
            threading.Thread(target=self._run, args=(r, name), daemon=True) for r in runtimes
        ]

    def __enter__(self) -> Traffic:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=120)

    def _run(self, runtime: Any, name: str) -> None:
        while not self._stop.is_set():
            try:
                reply = runtime.invoke_endpoint(
                    EndpointName=name, Body=self.body, ContentType="text/csv"
                )
                served = predictions(reply)
                label = next(
                    (k for k, v in self.expected.items() if np.allclose(served, v)), "wrong"
                )
            except Exception as error:
                label = "failed"
                with self._lock:
                    self.failures.append(repr(error)[:300])
            with self._lock:
                self.answers[label] += 1

    def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while sum(self.answers.values()) < count and time.monotonic() < deadline:
            time.sleep(0.05)


@pytest.mark.slow
def test_twenty_updates_under_sixteen_clients_fail_no_request(own_cloud: RunningCloud) -> None:
    old, new = abalone_model(30), abalone_model(5)
    configs = {"old": config_for(own_cloud, old), "new": config_for(own_cloud, new)}
    sagemaker = own_cloud.client("sagemaker")
    name = unique("rolling")
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=configs["old"])
    with Traffic(own_cloud, name, {"old": old, "new": new}) as traffic:
        traffic.wait_for(CLIENTS)
        for update in range(20):
            target = "new" if update % 2 == 0 else "old"
            sagemaker.update_endpoint(EndpointName=name, EndpointConfigName=configs[target])
            described = sagemaker.describe_endpoint(EndpointName=name)
            assert (described["EndpointStatus"], described["EndpointConfigName"]) == (
                "InService",
                configs[target],
            )
            before = sum(traffic.answers.values())
            traffic.wait_for(before + CLIENTS)  # every update is followed by some traffic
    assert traffic.failures == []
    assert traffic.answers["failed"] == traffic.answers["wrong"] == 0
    assert traffic.answers["old"] > 0 and traffic.answers["new"] > 0, traffic.answers
    deadline = time.monotonic() + 15  # the last old fleet drains, then stops
    while len(server_pids(own_cloud.process.pid)) != 1:
        assert time.monotonic() < deadline, server_pids(own_cloud.process.pid)
        time.sleep(0.1)


@pytest.mark.parametrize(
    ("artifact", "reason"),
    [
        (
            tarball_of(b"these bytes are no xgboost model"),
            "Unable to load model: xgboost-model is not an XGBoost model",
        ),
        (
            b"\x1f\x8b not really gzip",
            "Unable to load model: model.tar.gz is not a readable tar archive",
        ),
        (tarball_of(b"\x80\x04pickled", name="xgboost-model"), "is a pickled Python object"),
    ],
    ids=["garbage-model", "not-a-tarball", "pickled-model"],
)
def test_an_update_to_a_corrupt_artifact_rolls_back(
    own_cloud: RunningCloud, artifact: bytes, reason: str
) -> None:
    good = abalone_model(30)
    sagemaker = own_cloud.client("sagemaker")
    name = unique("rollback")
    first = config_for(own_cloud, good)
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=first)
    with Traffic(own_cloud, name, {"good": good}) as traffic:
        traffic.wait_for(CLIENTS)
        sagemaker.update_endpoint(
            EndpointName=name, EndpointConfigName=config_for(own_cloud, artifact)
        )
        described = sagemaker.describe_endpoint(EndpointName=name)
        traffic.wait_for(sum(traffic.answers.values()) + CLIENTS)
    assert described["EndpointStatus"] == "InService"
    assert described["EndpointConfigName"] == first
    assert reason in described["FailureReason"]
    assert traffic.failures == [] and traffic.answers["good"] > 0
    # the next good update clears the failure
    sagemaker.update_endpoint(EndpointName=name, EndpointConfigName=config_for(own_cloud, good))
    assert "FailureReason" not in sagemaker.describe_endpoint(EndpointName=name)


@pytest.mark.parametrize("instances", [1, 2])
def test_a_killed_model_server_fails_no_request(own_cloud: RunningCloud, instances: int) -> None:
    model = abalone_model()
    name = unique("killed")
    own_cloud.client("sagemaker").create_endpoint(
        EndpointName=name, EndpointConfigName=config_for(own_cloud, model, count=instances)
    )
    victims = server_pids(own_cloud.process.pid)
    assert len(victims) == instances
    with Traffic(own_cloud, name, {"model": model}, clients=4) as traffic:
        traffic.wait_for(8)
        os.kill(victims[0], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while (
            victims[0] in server_pids(own_cloud.process.pid)
            or len(server_pids(own_cloud.process.pid)) < instances
        ):
            assert time.monotonic() < deadline, "the killed server was not replaced"
            time.sleep(0.1)
        traffic.wait_for(sum(traffic.answers.values()) + 20)
    assert traffic.failures == [] and traffic.answers["model"] > 0


@pytest.mark.slow
def test_endpoints_come_back_after_a_restart_and_no_server_outlives_the_cloud(
    tmp_path: Path,
) -> None:
    model = abalone_model()
    home = tmp_path / "home"
    running = start_cloud(home)
    name = unique("durable")
    rows = model.features[:3]
    try:
        running.client("sagemaker").create_endpoint(
            EndpointName=name, EndpointConfigName=config_for(running, model, count=2)
        )
        assert len(server_pids(running.process.pid)) == 2
    finally:
        running.stop()
    assert processes_serving(home) == []  # stopped with the cloud

    running = start_cloud(home)  # the first invocation waits for the servers to be back
    try:
        assert np.allclose(predictions(invoke(running, name, model.csv(rows))), model.predict(rows))
        described = running.client("sagemaker").describe_endpoint(EndpointName=name)
        assert described["EndpointStatus"] == "InService"
        assert "FailureReason" not in described
    finally:
        running.stop(signal.SIGKILL)
    deadline = time.monotonic() + 10
    while processes_serving(home):  # the kernel ends them with their parent (PR_SET_PDEATHSIG)
        assert time.monotonic() < deadline, f"orphaned model servers: {processes_serving(home)}"
        time.sleep(0.1)

    running = start_cloud(home)  # and after kill -9 too
    try:
        assert np.allclose(predictions(invoke(running, name, model.csv(rows))), model.predict(rows))
        running.client("sagemaker").delete_endpoint(EndpointName=name)
        deadline = time.monotonic() + 15
        while server_pids(running.process.pid):
            assert time.monotonic() < deadline, "a deleted endpoint's servers kept running"
            time.sleep(0.1)
    finally:
        running.stop()
