"""Helpers shared by the training-job tests: data in a bucket, a job request, waiting."""

from __future__ import annotations

import io
import tarfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from tests.integration.cloud.s3_support import new_bucket
from tests.integration.cloud.sagemaker_support import ROLE_ARN, unique

XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.5-1"
TERMINAL = ("Completed", "Failed", "Stopped")
LOG_GROUP = "/aws/sagemaker/TrainingJobs"


def regression_csv(rows: int, features: int = 4, seed: int = 0) -> str:
    """Label-first CSV without a header: label = a linear function of the features + noise."""
    rng = np.random.default_rng(seed)
    x = rng.random((rows, features))
    weights = np.linspace(3, -2, features)
    y = x @ weights + rng.normal(0, 0.01, rows)
    lines = (",".join(f"{v:.5f}" for v in (label, *row)) for row, label in zip(x, y, strict=True))
    return "\n".join(lines) + "\n"


def put_regression_data(s3: Any, rows: int = 300, features: int = 4) -> str:
    """A new bucket with `data/train/train.csv` and `data/validation/validation.csv`."""
    bucket = new_bucket(s3)
    s3.put_object(Bucket=bucket, Key="data/train/train.csv", Body=regression_csv(rows, features))
    s3.put_object(
        Bucket=bucket,
        Key="data/validation/validation.csv",
        Body=regression_csv(rows // 3 + 1, features, seed=1),
    )
    return bucket


def channel(name: str, uri: str, content_type: str | None = "text/csv", **extra: Any) -> Any:
    found: dict[str, Any] = {
        "ChannelName": name,
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri}},
        **extra,
    }
    if content_type is not None:
        found["ContentType"] = content_type
    return found


def job_request(bucket: str, name: str | None = None, **overrides: Any) -> dict[str, Any]:
    """A CreateTrainingJob request that trains on `put_regression_data`'s bucket."""
    request: dict[str, Any] = {
        "TrainingJobName": name or unique("job"),
        "AlgorithmSpecification": {"TrainingImage": XGBOOST_IMAGE, "TrainingInputMode": "File"},
        "RoleArn": ROLE_ARN,
        "HyperParameters": {"num_round": "10", "max_depth": "3", "eta": "0.3"},
        "InputDataConfig": [
            channel("train", f"s3://{bucket}/data/train"),
            channel("validation", f"s3://{bucket}/data/validation"),
        ],
        "OutputDataConfig": {"S3OutputPath": f"s3://{bucket}/output"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
    }
    request.update(overrides)
    return request


def wait_until(
    check: Callable[[], Any], timeout: float = 60.0, interval: float = 0.05, what: str = ""
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or check}")


def wait_terminal(sm: Any, name: str, timeout: float = 60.0) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        described: dict[str, Any] = sm.describe_training_job(TrainingJobName=name)
        return described if described["TrainingJobStatus"] in TERMINAL else None

    result: dict[str, Any] = wait_until(done, timeout, what=f"job {name} to end")
    return result


def log_messages(logs: Any, name: str) -> list[str]:
    """Every message of the job's log streams ([] before its first job created the group)."""
    try:
        streams = logs.describe_log_streams(logGroupName=LOG_GROUP, logStreamNamePrefix=f"{name}/")
    except logs.exceptions.ResourceNotFoundException:
        return []
    messages: list[str] = []
    for stream in streams["logStreams"]:
        events = logs.get_log_events(
            logGroupName=LOG_GROUP, logStreamName=stream["logStreamName"], startFromHead=True
        )
        messages += [event["message"] for event in events["events"]]
    return messages


def archive_members(data: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        return {
            member.name: tar.extractfile(member).read()  # type: ignore[union-attr]
            for member in tar.getmembers()
            if member.isfile()
        }


def metrics(described: dict[str, Any]) -> dict[str, float]:
    return {m["MetricName"]: m["Value"] for m in described.get("FinalMetricDataList", [])}
