"""The cloud ending while a job trains (kill -9, or a normal stop while a request waits for the
job): the worker dies with it, and after the restart the job is Failed ("interrupted"), no
model was published and no working files are left."""

from __future__ import annotations

import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from mlci.cloud.services.sagemaker.training_workers import ZYGOTE_MODULE
from tests.conftest import start_cloud
from tests.integration.cloud.s3_support import new_bucket
from tests.integration.cloud.training_support import (
    channel,
    job_request,
    log_messages,
    regression_csv,
    wait_terminal,
    wait_until,
)

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads worker processes from /proc"
)


def workers_of(cloud_pid: int) -> list[int]:
    """Live training processes of the cloud with this pid: its zygote and the workers forked
    from it, which carry the zygote's command line (see training_workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if ZYGOTE_MODULE.encode() in argv and str(cloud_pid).encode() in argv and state != "Z":
            found.append(int(entry.name))
    return found


def test_a_job_in_flight_at_a_crash_is_failed_as_interrupted_after_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLCI_TRAINING_SYNC_SECONDS", "0")
    home = tmp_path / "home"
    cloud = start_cloud(home)
    try:
        s3, sm = cloud.client("s3"), cloud.client("sagemaker")
        bucket = new_bucket(s3)
        s3.put_object(Bucket=bucket, Key="big/train.csv", Body=regression_csv(5000, features=8))
        request = job_request(
            bucket,
            InputDataConfig=[channel("train", f"s3://{bucket}/big/")],
            HyperParameters={"num_round": "1000000", "max_depth": "6"},
        )
        name = request["TrainingJobName"]
        sm.create_training_job(**request)
        logs = cloud.client("logs")
        wait_until(lambda: any(m.startswith("[1]#011") for m in log_messages(logs, name)), 30)
        assert len(workers_of(cloud.process.pid)) == 2  # the zygote and the job's worker
    finally:
        cloud.stop(signal.SIGKILL)

    # the kernel ends the workers with the cloud (PR_SET_PDEATHSIG)
    wait_until(lambda: not workers_of(cloud.process.pid), 10, what="workers to die")

    restarted = start_cloud(home)
    try:
        sm, s3 = restarted.client("sagemaker"), restarted.client("s3")
        described = sm.describe_training_job(TrainingJobName=name)
        assert described["TrainingJobStatus"] == "Failed"
        assert described["SecondaryStatus"] == "Failed"
        assert "interrupted" in described["FailureReason"]
        assert [t["Status"] for t in described["SecondaryStatusTransitions"]][-2:] == [
            "Training",
            "Failed",
        ]
        assert "ModelArtifacts" not in described
        assert s3.list_objects_v2(Bucket=bucket, Prefix="output/")["KeyCount"] == 0
        assert list((home / "training" / "jobs").glob("*")) == []

        # the restarted cloud trains as before
        s3.put_object(Bucket=bucket, Key="small/train.csv", Body=regression_csv(50))
        again = job_request(bucket, InputDataConfig=[channel("train", f"s3://{bucket}/small/")])
        sm.create_training_job(**again)
        done = wait_terminal(sm, again["TrainingJobName"])
        assert done["TrainingJobStatus"] == "Completed", done.get("FailureReason")
    finally:
        restarted.stop()
    # a cloud that stops normally leaves no worker behind either (its spare included)
    wait_until(lambda: not workers_of(restarted.process.pid), 10, what="the spare to end")


def test_stopping_the_cloud_does_not_wait_for_a_job_a_request_is_waiting_for(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    cloud = start_cloud(home)  # CreateTrainingJob waits up to 30 s for its job here
    replies: list[object] = []  # the ARN CreateTrainingJob returned, or what it raised
    try:
        s3, sm = cloud.client("s3"), cloud.client("sagemaker")
        bucket = new_bucket(s3)
        s3.put_object(Bucket=bucket, Key="big/train.csv", Body=regression_csv(5000, features=8))
        request = job_request(
            bucket,
            InputDataConfig=[channel("train", f"s3://{bucket}/big/")],
            HyperParameters={"num_round": "1000000"},
        )

        def create() -> None:
            try:
                replies.append(sm.create_training_job(**request)["TrainingJobArn"])
            except Exception as error:  # reported by the assertion below
                replies.append(error)

        waiting = threading.Thread(target=create)
        waiting.start()
        logs = cloud.client("logs")
        name = request["TrainingJobName"]
        wait_until(lambda: log_messages(logs, name), 30, what="the job to log")
        started = time.monotonic()
        cloud.stop(signal.SIGTERM)
        assert time.monotonic() - started < 5
        waiting.join(timeout=5)
        assert len(replies) == 1 and str(replies[0]).endswith(name.lower()), replies
    finally:
        cloud.stop(signal.SIGKILL)
    wait_until(lambda: not workers_of(cloud.process.pid), 10, what="workers to die")
    restarted = start_cloud(home)
    try:
        described = restarted.client("sagemaker").describe_training_job(TrainingJobName=name)
        assert described["TrainingJobStatus"] == "Failed"
        assert "interrupted" in described["FailureReason"]
    finally:
        restarted.stop()
