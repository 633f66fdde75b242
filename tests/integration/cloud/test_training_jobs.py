"""Training jobs through boto3: they really train, log to CloudWatch and write model.tar.gz."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

import pytest
import xgboost
from botocore.exceptions import ClientError

from tests.conftest import RunningCloud
from tests.integration.cloud.sagemaker_support import ROLE_ARN, unique
from tests.integration.cloud.training_support import (
    XGBOOST_IMAGE,
    archive_members,
    channel,
    job_request,
    log_messages,
    metrics,
    put_regression_data,
    regression_csv,
)


@pytest.fixture(scope="module")
def bucket(s3: Any) -> str:
    return put_regression_data(s3)


@pytest.fixture(scope="module")
def completed(sm: Any, bucket: str) -> dict[str, Any]:
    """One job that trained to completion, described right after CreateTrainingJob returned."""
    request = job_request(bucket, Tags=[{"Key": "team", "Value": "ml"}])
    reply = sm.create_training_job(**request)
    described: dict[str, Any] = sm.describe_training_job(TrainingJobName=request["TrainingJobName"])
    described["_arn_returned"] = reply["TrainingJobArn"]
    return described


def test_create_returns_once_a_short_job_has_completed(
    completed: dict[str, Any], cloud: RunningCloud
) -> None:
    name = completed["TrainingJobName"]
    assert completed["_arn_returned"] == (
        f"arn:aws:sagemaker:{cloud.region}:{cloud.account_id}:training-job/{name.lower()}"
    )
    assert completed["TrainingJobArn"] == completed["_arn_returned"]
    assert completed["TrainingJobStatus"] == "Completed"
    assert completed["SecondaryStatus"] == "Completed"
    assert "FailureReason" not in completed


def test_secondary_status_transitions_follow_sagemakers_phases(completed: dict[str, Any]) -> None:
    transitions = completed["SecondaryStatusTransitions"]
    assert [t["Status"] for t in transitions] == [
        "Starting",
        "Downloading",
        "Training",
        "Uploading",
        "Completed",
    ]
    for earlier, later in itertools.pairwise(transitions):
        assert earlier["EndTime"] == later["StartTime"]
        assert earlier["StartTime"] <= earlier["EndTime"]
    assert all(t["StatusMessage"] for t in transitions)
    assert completed["CreationTime"] <= completed["TrainingStartTime"]
    assert completed["TrainingStartTime"] <= completed["TrainingEndTime"]
    assert completed["LastModifiedTime"] == completed["TrainingEndTime"]
    assert completed["TrainingTimeInSeconds"] >= 1
    assert completed["BillableTimeInSeconds"] == completed["TrainingTimeInSeconds"]


def test_describe_echoes_the_request(completed: dict[str, Any], bucket: str) -> None:
    assert completed["HyperParameters"] == {"num_round": "10", "max_depth": "3", "eta": "0.3"}
    assert completed["AlgorithmSpecification"]["TrainingImage"] == XGBOOST_IMAGE
    assert completed["AlgorithmSpecification"]["TrainingInputMode"] == "File"
    assert completed["RoleArn"] == ROLE_ARN
    assert completed["OutputDataConfig"] == {"S3OutputPath": f"s3://{bucket}/output"}
    assert completed["ResourceConfig"]["InstanceType"] == "ml.m5.large"
    assert completed["StoppingCondition"] == {"MaxRuntimeInSeconds": 600}
    train = completed["InputDataConfig"][0]
    assert train["ChannelName"] == "train"
    assert train["ContentType"] == "text/csv"
    assert train["DataSource"]["S3DataSource"] == {
        "S3DataType": "S3Prefix",
        "S3Uri": f"s3://{bucket}/data/train",
        "S3DataDistributionType": "FullyReplicated",
    }


def test_final_metrics_are_the_last_rounds_scores(completed: dict[str, Any]) -> None:
    found = metrics(completed)
    assert set(found) == {"train:rmse", "validation:rmse"}
    assert 0 < found["train:rmse"] < 1.0
    assert all(
        m["Timestamp"] == completed["TrainingEndTime"] for m in completed["FinalMetricDataList"]
    )


def test_the_model_archive_holds_an_xgboost_model_that_loads(
    completed: dict[str, Any], s3: Any, bucket: str, tmp_path: Any
) -> None:
    name = completed["TrainingJobName"]
    uri = f"s3://{bucket}/output/{name}/output/model.tar.gz"
    assert completed["ModelArtifacts"] == {"S3ModelArtifacts": uri}
    data = s3.get_object(Bucket=bucket, Key=f"output/{name}/output/model.tar.gz")["Body"].read()
    members = archive_members(data)
    assert list(members) == ["xgboost-model"]
    booster = xgboost.Booster()
    booster.load_model(bytearray(members["xgboost-model"]))
    assert booster.num_boosted_rounds() == 10
    rows = [[float(v) for v in line.split(",")] for line in regression_csv(5).splitlines()]
    predictions = booster.predict(xgboost.DMatrix([r[1:] for r in rows]))
    assert len(predictions) == 5


def test_per_round_logs_are_in_cloudwatch_in_the_containers_form(
    completed: dict[str, Any], logs: Any
) -> None:
    name = completed["TrainingJobName"]
    streams = logs.describe_log_streams(
        logGroupName="/aws/sagemaker/TrainingJobs", logStreamNamePrefix=f"{name}/"
    )["logStreams"]
    assert len(streams) == 1
    stream = streams[0]["logStreamName"]
    prefix, _, epoch = stream.partition("/algo-1-")
    assert prefix == name and epoch.isdigit()
    assert abs(int(epoch) - completed["TrainingStartTime"].timestamp()) < 60
    messages = log_messages(logs, name)
    rounds = [m for m in messages if m.startswith("[")]
    assert any(m.startswith("[0]#011train-rmse:") and "#011validation-rmse:" in m for m in rounds)
    assert any(m.startswith("[9]#011train-rmse:") for m in rounds)
    assert not any("\t" in m for m in messages)


def test_tags_given_at_creation_are_listed_by_arn(completed: dict[str, Any], sm: Any) -> None:
    tags = sm.list_tags(ResourceArn=completed["TrainingJobArn"])["Tags"]
    assert tags == [{"Key": "team", "Value": "ml"}]
    sm.add_tags(ResourceArn=completed["TrainingJobArn"], Tags=[{"Key": "stage", "Value": "dev"}])
    keys = [t["Key"] for t in sm.list_tags(ResourceArn=completed["TrainingJobArn"])["Tags"]]
    assert keys == ["team", "stage"]


def test_working_files_are_removed_after_the_job(
    completed: dict[str, Any], cloud: RunningCloud
) -> None:
    jobs = cloud.home / "training" / "jobs"
    name = completed["TrainingJobName"].lower()
    assert not any(path.name == name for path in jobs.rglob("*"))


def test_a_duplicate_name_is_refused_as_sagemaker_does(
    completed: dict[str, Any], sm: Any, bucket: str
) -> None:
    request = job_request(bucket, name=completed["TrainingJobName"].upper())
    with pytest.raises(ClientError, match="Training job names must be unique") as caught:
        sm.create_training_job(**request)
    assert caught.value.response["Error"]["Code"] == "ResourceInUse"
    assert completed["TrainingJobArn"] in caught.value.response["Error"]["Message"]


def test_describing_an_unknown_job_is_a_validation_error(sm: Any) -> None:
    with pytest.raises(ClientError, match="Requested resource not found") as caught:
        sm.describe_training_job(TrainingJobName=unique("nope"))
    assert caught.value.response["Error"]["Code"] == "ValidationException"


def test_libsvm_channels_train_too(sm: Any, s3: Any, bucket: str) -> None:
    lines = [line.split(",") for line in regression_csv(200).splitlines()]
    libsvm = "".join(
        f"{row[0]} " + " ".join(f"{i}:{v}" for i, v in enumerate(row[1:], 1)) + "\n"
        for row in lines
    )
    s3.put_object(Bucket=bucket, Key="libsvm/train/part-0", Body=libsvm)
    request = job_request(
        bucket,
        InputDataConfig=[channel("train", f"s3://{bucket}/libsvm/train/", "libsvm")],
        HyperParameters={"num_round": "5", "eval_metric": "mae"},
    )
    sm.create_training_job(**request)
    described = sm.describe_training_job(TrainingJobName=request["TrainingJobName"])
    assert described["TrainingJobStatus"] == "Completed", described.get("FailureReason")
    assert set(metrics(described)) == {"train:mae"}


def test_a_manifest_file_channel_reads_the_listed_objects(
    sm: Any, s3: Any, logs: Any, bucket: str
) -> None:
    s3.put_object(Bucket=bucket, Key="pieces/a.csv", Body=regression_csv(100, seed=3))
    s3.put_object(Bucket=bucket, Key="pieces/b.csv", Body=regression_csv(100, seed=4))
    s3.put_object(Bucket=bucket, Key="pieces/ignored.csv", Body="not,a,number\n")
    manifest = [{"prefix": f"s3://{bucket}/pieces/"}, "a.csv", "b.csv"]
    s3.put_object(Bucket=bucket, Key="manifests/train.manifest", Body=json.dumps(manifest))
    source = {"S3DataType": "ManifestFile", "S3Uri": f"s3://{bucket}/manifests/train.manifest"}
    request = job_request(
        bucket,
        InputDataConfig=[
            {"ChannelName": "train", "ContentType": "csv", "DataSource": {"S3DataSource": source}}
        ],
    )
    sm.create_training_job(**request)
    described = sm.describe_training_job(TrainingJobName=request["TrainingJobName"])
    assert described["TrainingJobStatus"] == "Completed", described.get("FailureReason")
    messages = log_messages(logs, request["TrainingJobName"])
    assert any("Train matrix has 200 rows" in m for m in messages)


def test_keys_that_look_like_paths_stay_inside_the_channel(
    sm: Any, s3: Any, logs: Any, bucket: str
) -> None:
    body = regression_csv(60, seed=5)
    for key in ("odd/train/../escape.csv", "odd/train/./dot.csv", "odd/train//double.csv"):
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    s3.put_object(Bucket=bucket, Key="odd/train/", Body=b"")  # a console "folder"
    request = job_request(bucket, InputDataConfig=[channel("train", f"s3://{bucket}/odd/train/")])
    sm.create_training_job(**request)
    described = sm.describe_training_job(TrainingJobName=request["TrainingJobName"])
    assert described["TrainingJobStatus"] == "Completed", described.get("FailureReason")
    messages = log_messages(logs, request["TrainingJobName"])
    assert any("Train matrix has 180 rows" in m for m in messages)


def test_uncompressed_output_puts_the_model_files_under_output_model(
    sm: Any, s3: Any, bucket: str
) -> None:
    request = job_request(
        bucket, OutputDataConfig={"S3OutputPath": f"s3://{bucket}/raw/", "CompressionType": "NONE"}
    )
    sm.create_training_job(**request)
    described = sm.describe_training_job(TrainingJobName=request["TrainingJobName"])
    name = request["TrainingJobName"]
    assert described["ModelArtifacts"]["S3ModelArtifacts"] == (
        f"s3://{bucket}/raw/{name}/output/model/"
    )
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"raw/{name}/")["Contents"]
    assert [o["Key"] for o in listed] == [f"raw/{name}/output/model/xgboost-model"]


def test_a_single_object_uri_trains_on_that_object(sm: Any, bucket: str) -> None:
    request = job_request(
        bucket, InputDataConfig=[channel("train", f"s3://{bucket}/data/train/train.csv")]
    )
    sm.create_training_job(**request)
    described = sm.describe_training_job(TrainingJobName=request["TrainingJobName"])
    assert described["TrainingJobStatus"] == "Completed", described.get("FailureReason")


def test_stopping_a_job_that_has_ended_is_refused(completed: dict[str, Any], sm: Any) -> None:
    with pytest.raises(ClientError, match="in status Completed") as caught:
        sm.stop_training_job(TrainingJobName=completed["TrainingJobName"])
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError, match="Requested resource not found"):
        sm.stop_training_job(TrainingJobName=unique("nope"))


def test_jobs_created_by_the_sync_wait_can_be_awaited_by_the_waiter(sm: Any, bucket: str) -> None:
    request = job_request(bucket)
    started = time.monotonic()
    sm.create_training_job(**request)
    sm.get_waiter("training_job_completed_or_stopped").wait(
        TrainingJobName=request["TrainingJobName"], WaiterConfig={"Delay": 1, "MaxAttempts": 5}
    )
    assert time.monotonic() - started < 10


def test_early_stopping_watches_the_validation_channel(
    sm: Any, s3: Any, logs: Any, bucket: str
) -> None:
    s3.put_object(Bucket=bucket, Key="noisy/validation/v.csv", Body=regression_csv(50, seed=9))
    request = job_request(
        bucket,
        InputDataConfig=[
            channel("train", f"s3://{bucket}/data/train"),
            channel("validation", f"s3://{bucket}/noisy/validation"),
        ],
        HyperParameters={
            "num_round": "500",
            "early_stopping_rounds": "3",
            "eval_metric": "mae",
            "eta": "0.9",
            "objective": "reg:linear",
        },
    )
    sm.create_training_job(**request)
    described = sm.describe_training_job(TrainingJobName=request["TrainingJobName"])
    assert described["TrainingJobStatus"] == "Completed", described.get("FailureReason")
    rounds = [m for m in log_messages(logs, request["TrainingJobName"]) if m.startswith("[")]
    evaluated = [m for m in rounds if "#011validation-mae:" in m]
    assert 3 < len(evaluated) < 500
    assert set(metrics(described)) == {"train:mae", "validation:mae"}


def test_jobs_submitted_back_to_back_all_complete_with_their_own_models(
    sm: Any, s3: Any, bucket: str
) -> None:
    # each job is forked from the warm zygote, so none waits for another's worker to start
    rounds = {unique("burst"): count for count in (2, 7, 4, 9, 3)}
    for name, count in rounds.items():
        sm.create_training_job(
            **job_request(bucket, name, HyperParameters={"num_round": str(count)})
        )
    for name, count in rounds.items():
        described = sm.describe_training_job(TrainingJobName=name)
        assert described["TrainingJobStatus"] == "Completed", described.get("FailureReason")
        key = f"output/{name}/output/model.tar.gz"
        members = archive_members(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        booster = xgboost.Booster()
        booster.load_model(bytearray(members["xgboost-model"]))
        assert booster.num_boosted_rounds() == count
