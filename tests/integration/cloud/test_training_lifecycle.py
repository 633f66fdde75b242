"""Long training jobs: the bounded wait in CreateTrainingJob, StopTrainingJob, queueing for a
training slot, ListTrainingJobs, and an API that keeps answering while jobs train.

These tests run their own cloud with one training slot and a one-second synchronous wait, so a
long job returns from CreateTrainingJob quickly and a second job has to queue.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import RunningCloud, start_cloud
from tests.integration.cloud.sagemaker_support import raw_call, unique
from tests.integration.cloud.training_support import (
    channel,
    job_request,
    log_messages,
    put_regression_data,
    regression_csv,
    wait_terminal,
    wait_until,
)

SYNC_SECONDS = 1.0
ENDLESS = {"num_round": "1000000", "max_depth": "6", "eta": "0.001"}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLCI_TRAINING_SLOTS", "1")
        patch.setenv("MLCI_TRAINING_SYNC_SECONDS", str(SYNC_SECONDS))
        running = start_cloud(tmp_path_factory.mktemp("training-lifecycle"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def bucket(s3: Any) -> str:
    bucket = put_regression_data(s3, rows=60)
    s3.put_object(Bucket=bucket, Key="big/train.csv", Body=regression_csv(5000, features=8))
    return bucket


def endless_job(bucket: str, **overrides: Any) -> dict[str, Any]:
    """A job that trains until it is stopped."""
    return job_request(
        bucket,
        InputDataConfig=[channel("train", f"s3://{bucket}/big/")],
        HyperParameters=ENDLESS,
        **overrides,
    )


def status(sm: Any, name: str) -> tuple[str, str]:
    described = sm.describe_training_job(TrainingJobName=name)
    return described["TrainingJobStatus"], described["SecondaryStatus"]


def stop_and_wait(sm: Any, name: str) -> dict[str, Any]:
    sm.stop_training_job(TrainingJobName=name)
    return wait_terminal(sm, name, timeout=30)


def test_a_long_job_returns_after_the_bounded_wait_and_stops_on_request(
    sm: Any, cloud: RunningCloud, bucket: str
) -> None:
    request = endless_job(bucket)
    name = request["TrainingJobName"]
    started = time.monotonic()
    sm.create_training_job(**request)
    assert SYNC_SECONDS <= time.monotonic() - started < SYNC_SECONDS + 5
    assert status(sm, name) == ("InProgress", "Training")
    logs = cloud.client("logs")
    wait_until(lambda: any(m.startswith("[2]#011") for m in log_messages(logs, name)), 20)

    described = stop_and_wait(sm, name)
    assert described["TrainingJobStatus"] == "Stopped"
    assert described["SecondaryStatus"] == "Stopped"
    assert [t["Status"] for t in described["SecondaryStatusTransitions"]][-3:] == [
        "Training",
        "Stopping",
        "Stopped",
    ]
    assert "ModelArtifacts" not in described
    assert "FailureReason" not in described
    s3 = cloud.client("s3")
    assert s3.list_objects_v2(Bucket=bucket, Prefix=f"output/{name}/")["KeyCount"] == 0
    with pytest.raises(ClientError, match="in status Stopped"):
        sm.stop_training_job(TrainingJobName=name)


def test_a_job_waits_for_a_free_slot_and_runs_when_one_frees_up(sm: Any, bucket: str) -> None:
    first = endless_job(bucket)
    sm.create_training_job(**first)
    queued = job_request(bucket)
    sm.create_training_job(**queued)
    assert status(sm, queued["TrainingJobName"]) == ("InProgress", "Pending")

    stop_and_wait(sm, first["TrainingJobName"])
    described = wait_terminal(sm, queued["TrainingJobName"], timeout=30)
    assert described["TrainingJobStatus"] == "Completed", described.get("FailureReason")
    assert [t["Status"] for t in described["SecondaryStatusTransitions"]] == [
        "Starting",
        "Pending",
        "Downloading",
        "Training",
        "Uploading",
        "Completed",
    ]


def test_a_queued_job_can_be_stopped_before_it_starts(sm: Any, bucket: str) -> None:
    first = endless_job(bucket)
    sm.create_training_job(**first)
    queued = job_request(bucket)
    sm.create_training_job(**queued)
    described = stop_and_wait(sm, queued["TrainingJobName"])
    assert described["TrainingJobStatus"] == "Stopped"
    assert [t["Status"] for t in described["SecondaryStatusTransitions"]] == [
        "Starting",
        "Pending",
        "Stopping",
        "Stopped",
    ]
    assert "TrainingTimeInSeconds" not in described
    stop_and_wait(sm, first["TrainingJobName"])


def test_the_api_keeps_answering_while_a_job_trains(
    sm: Any, s3: Any, cloud: RunningCloud, bucket: str
) -> None:
    request = endless_job(bucket)
    sm.create_training_job(**request)
    assert status(sm, request["TrainingJobName"]) == ("InProgress", "Training")
    try:
        for _ in range(3):
            started = time.monotonic()
            sm.list_model_packages()
            assert time.monotonic() - started < 1.0
            started = time.monotonic()
            s3.get_object(Bucket=bucket, Key="data/train/train.csv")["Body"].read()
            assert time.monotonic() - started < 1.0
            started = time.monotonic()
            sm.describe_training_job(TrainingJobName=request["TrainingJobName"])
            assert time.monotonic() - started < 1.0
    finally:
        stop_and_wait(sm, request["TrainingJobName"])


@pytest.fixture(scope="module")
def listed_jobs(sm: Any, s3: Any) -> dict[str, list[str]]:
    """Three completed and two failed jobs sharing a name prefix, created in this order."""
    bucket = put_regression_data(s3, rows=40)
    prefix = unique("lst")
    names: dict[str, list[str]] = {"Completed": [], "Failed": [], "all": []}
    for index, image in enumerate(["sagemaker-xgboost:1.5-1", "other:1", "sagemaker-xgboost:1.7-1",
                                   "other:2", "sagemaker-xgboost:1.5-1"]):  # fmt: skip
        request = job_request(
            bucket,
            name=f"{prefix}-{index}",
            AlgorithmSpecification={"TrainingImage": image, "TrainingInputMode": "File"},
        )
        sm.create_training_job(**request)
        described = wait_terminal(sm, request["TrainingJobName"])
        names[described["TrainingJobStatus"]].append(request["TrainingJobName"])
        names["all"].append(request["TrainingJobName"])
    names["prefix"] = [prefix]
    return names


def summaries(sm: Any, **params: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = sm.list_training_jobs(**params)["TrainingJobSummaries"]
    return found


def test_list_filters_by_name_and_status(sm: Any, listed_jobs: dict[str, list[str]]) -> None:
    prefix = listed_jobs["prefix"][0]
    everything = summaries(sm, NameContains=prefix.upper(), MaxResults=100)
    assert [s["TrainingJobName"] for s in everything] == listed_jobs["all"]  # oldest first
    completed = summaries(sm, NameContains=prefix, StatusEquals="Completed")
    assert [s["TrainingJobName"] for s in completed] == listed_jobs["Completed"]
    assert all(s["SecondaryStatus"] == "Completed" for s in completed)
    assert set(completed[0]) >= {
        "TrainingJobName",
        "TrainingJobArn",
        "CreationTime",
        "TrainingEndTime",
        "LastModifiedTime",
        "TrainingJobStatus",
        "SecondaryStatus",
    }
    failed = summaries(sm, NameContains=prefix, StatusEquals="Failed")
    assert [s["TrainingJobName"] for s in failed] == listed_jobs["Failed"]
    assert summaries(sm, NameContains=prefix, WarmPoolStatusEquals="Available") == []


def test_list_sorts_and_pages(sm: Any, listed_jobs: dict[str, list[str]]) -> None:
    prefix = listed_jobs["prefix"][0]
    by_name = summaries(sm, NameContains=prefix, SortBy="Name", SortOrder="Descending")
    assert [s["TrainingJobName"] for s in by_name] == sorted(listed_jobs["all"], reverse=True)
    by_status = summaries(sm, NameContains=prefix, SortBy="Status")
    assert [s["TrainingJobStatus"] for s in by_status] == ["Completed"] * 3 + ["Failed"] * 2
    pages, token = [], None
    while True:
        reply = sm.list_training_jobs(
            NameContains=prefix, MaxResults=2, **({"NextToken": token} if token else {})
        )
        pages.append([s["TrainingJobName"] for s in reply["TrainingJobSummaries"]])
        token = reply.get("NextToken")
        if token is None:
            break
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [name for page in pages for name in page] == listed_jobs["all"]
    first = sm.list_training_jobs(NameContains=prefix, MaxResults=2)["NextToken"]
    with pytest.raises(ClientError, match="NextToken is not valid for this request"):
        sm.list_training_jobs(NameContains=prefix, SortBy="Name", NextToken=first)


def test_list_filters_by_time(cloud: RunningCloud, listed_jobs: dict[str, list[str]]) -> None:
    # boto3 sends timestamps as whole seconds; raw requests keep the milliseconds
    prefix = listed_jobs["prefix"][0]
    described = [
        raw_call(cloud, "DescribeTrainingJob", {"TrainingJobName": name}).body
        for name in listed_jobs["all"]
    ]

    def names(**bounds: float) -> list[str]:
        reply = raw_call(cloud, "ListTrainingJobs", {"NameContains": prefix, **bounds})
        return [s["TrainingJobName"] for s in reply.body["TrainingJobSummaries"]]

    created, modified = described[2]["CreationTime"], described[2]["LastModifiedTime"]
    assert names(CreationTimeAfter=created) == listed_jobs["all"][3:]
    assert names(CreationTimeBefore=created) == listed_jobs["all"][:2]
    assert names(LastModifiedTimeAfter=modified) == listed_jobs["all"][3:]
    assert names(LastModifiedTimeBefore=modified) == listed_jobs["all"][:2]


def test_working_files_do_not_outlive_the_jobs(cloud: RunningCloud, sm: Any) -> None:
    running = summaries(sm, StatusEquals="InProgress") + summaries(sm, StatusEquals="Stopping")
    assert running == []
    jobs = Path(cloud.home) / "training" / "jobs"
    assert [p for p in jobs.rglob("*") if p.is_file()] == []
