"""Endpoints across restarts of the cloud: deployments that were in flight when the cloud was
killed, and endpoints whose S3 artifact is gone by the time the cloud starts again."""

from __future__ import annotations

import contextlib
import shutil
import signal
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import RunningCloud, start_cloud
from tests.integration.cloud.hosting_support import (
    BUCKET,
    abalone_model,
    config_for,
    create_config,
    create_model,
    invoke,
    predictions,
    upload,
    variant,
)
from tests.integration.cloud.sagemaker_support import unique

pytestmark = pytest.mark.slow


def _kill_while(running: RunningCloud, name: str, status: str, call: Any) -> None:
    """Run `call` in a thread and kill -9 the cloud as soon as the endpoint shows `status`."""
    thread = threading.Thread(target=_swallow, args=(call,), daemon=True)
    thread.start()
    sagemaker = running.client("sagemaker")
    deadline = time.monotonic() + 20
    while True:
        try:
            if sagemaker.describe_endpoint(EndpointName=name)["EndpointStatus"] == status:
                break
        except Exception:  # not created yet
            pass
        assert time.monotonic() < deadline, f"never saw {name} {status}"
    running.stop(signal.SIGKILL)
    thread.join(timeout=30)


def _swallow(call: Any) -> None:
    with contextlib.suppress(Exception):  # the cloud was killed under it
        call()


def test_deployments_in_flight_at_a_kill_are_reported_after_restart(tmp_path: Path) -> None:
    model, other = abalone_model(30), abalone_model(5)
    home = tmp_path / "home"
    running = start_cloud(home)
    serving, creating = unique("serving"), unique("creating")
    first = config_for(running, model)
    second = config_for(running, other)
    sagemaker = running.client("sagemaker")
    sagemaker.create_endpoint(EndpointName=serving, EndpointConfigName=first)
    _kill_while(
        running,
        serving,
        "Updating",
        lambda: sagemaker.update_endpoint(EndpointName=serving, EndpointConfigName=second),
    )

    running = start_cloud(home)
    try:
        sagemaker = running.client("sagemaker")
        described = sagemaker.describe_endpoint(EndpointName=serving)
        assert (described["EndpointStatus"], described["EndpointConfigName"]) == (
            "InService",
            first,
        )
        assert "was interrupted by a restart of mlci cloud" in described["FailureReason"]
        rows = model.features[:2]
        assert np.allclose(
            predictions(invoke(running, serving, model.csv(rows))), model.predict(rows)
        )
        _kill_while(
            running,
            creating,
            "Creating",
            lambda: sagemaker.create_endpoint(EndpointName=creating, EndpointConfigName=first),
        )
    finally:
        running.stop(signal.SIGKILL)

    running = start_cloud(home)
    try:
        described = running.client("sagemaker").describe_endpoint(EndpointName=creating)
        assert described["EndpointStatus"] == "Failed"
        assert described["FailureReason"] == "interrupted by a restart of mlci cloud"
    finally:
        running.stop()


def test_an_endpoint_survives_its_artifact_being_deleted_until_its_files_are_gone_too(
    tmp_path: Path,
) -> None:
    model = abalone_model()
    home = tmp_path / "home"
    running = start_cloud(home)
    name = unique("orphaned")
    url = upload(running, model.tarball)
    model_name = create_model(running, url)
    running.client("sagemaker").create_endpoint(
        EndpointName=name, EndpointConfigName=create_config(running, variant(model_name))
    )
    running.client("s3").delete_object(Bucket=BUCKET, Key=url.split(f"{BUCKET}/", 1)[1])
    running.stop()

    rows = model.features[:2]
    running = start_cloud(home)  # the model files hosting kept are enough
    try:
        assert np.allclose(predictions(invoke(running, name, model.csv(rows))), model.predict(rows))
    finally:
        running.stop()

    shutil.rmtree(home / "hosting" / "deployments")
    running = start_cloud(home)
    try:
        sagemaker = running.client("sagemaker")
        deadline = time.monotonic() + 30
        while (described := sagemaker.describe_endpoint(EndpointName=name))[
            "EndpointStatus"
        ] != "Failed":
            assert time.monotonic() < deadline, described
            time.sleep(0.1)
        assert described["FailureReason"].startswith("The endpoint could not be restarted: ")
        assert "Failed to download model data" in described["FailureReason"]
        runtime = running.client("sagemaker-runtime")
        with pytest.raises(runtime.exceptions.ValidationError, match="not found"):
            invoke(running, name, model.csv(rows))
    finally:
        running.stop()
