"""Training jobs that cannot run: refused up front, or ended with a reason that says why."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import RunningCloud
from tests.integration.cloud.s3_support import new_bucket
from tests.integration.cloud.sagemaker_support import raw_call, unique
from tests.integration.cloud.training_support import (
    channel,
    job_request,
    log_messages,
    put_regression_data,
    regression_csv,
    wait_terminal,
)


@pytest.fixture(scope="module")
def bucket(s3: Any) -> str:
    return put_regression_data(s3, rows=60)


def failed(sm: Any, request: dict[str, Any]) -> dict[str, Any]:
    sm.create_training_job(**request)
    described = wait_terminal(sm, request["TrainingJobName"])
    assert described["TrainingJobStatus"] == "Failed", described
    assert described["SecondaryStatus"] == "Failed"
    assert described["SecondaryStatusTransitions"][-1]["Status"] == "Failed"
    assert "ModelArtifacts" not in described
    return described


def phases(described: dict[str, Any]) -> list[str]:
    return [t["Status"] for t in described["SecondaryStatusTransitions"]]


def test_an_image_other_than_sagemaker_xgboost_fails_naming_what_is_supported(
    sm: Any, bucket: str
) -> None:
    image = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.1.0-cpu-py310"
    request = job_request(
        bucket, AlgorithmSpecification={"TrainingImage": image, "TrainingInputMode": "File"}
    )
    described = failed(sm, request)
    reason = described["FailureReason"]
    assert reason.startswith("ClientError: Unsupported training image")
    assert image in reason
    assert "sagemaker-xgboost" in reason and "image_uris.retrieve('xgboost'" in reason
    assert phases(described) == ["Starting", "Failed"]


def test_any_registry_and_tag_of_sagemaker_xgboost_is_accepted(sm: Any, bucket: str) -> None:
    for image in (
        "sagemaker-xgboost:1.7-1",
        "registry.local:5000/team/sagemaker-xgboost@sha256:ab",
    ):
        request = job_request(
            bucket, AlgorithmSpecification={"TrainingImage": image, "TrainingInputMode": "File"}
        )
        sm.create_training_job(**request)
        described = wait_terminal(sm, request["TrainingJobName"])
        assert described["TrainingJobStatus"] == "Completed", described.get("FailureReason")


def test_a_csv_header_row_fails_the_job_saying_so(sm: Any, s3: Any, bucket: str) -> None:
    s3.put_object(
        Bucket=bucket, Key="header/train.csv", Body="label,a,b,c,d\n" + regression_csv(20)
    )
    request = job_request(bucket, InputDataConfig=[channel("train", f"s3://{bucket}/header/")])
    reason = failed(sm, request)["FailureReason"]
    assert reason.startswith("ClientError: CSV training data must not have a header row")
    assert "train.csv" in reason


def test_a_missing_num_round_fails_the_job(sm: Any, bucket: str) -> None:
    request = job_request(bucket, HyperParameters={"max_depth": "3"})
    described = failed(sm, request)
    assert described["FailureReason"] == "ClientError: Missing required hyperparameter: num_round"
    assert phases(described) == ["Starting", "Downloading", "Training", "Failed"]


def test_a_bad_hyperparameter_value_fails_the_job_naming_it(sm: Any, bucket: str) -> None:
    request = job_request(bucket, HyperParameters={"num_round": "10", "eta": "fast"})
    reason = failed(sm, request)["FailureReason"]
    assert reason.startswith("ClientError:")
    assert "eta" in reason


def test_an_unknown_hyperparameter_fails_the_job(sm: Any, bucket: str) -> None:
    request = job_request(bucket, HyperParameters={"num_round": "10", "learning_speed": "2"})
    assert "learning_speed" in failed(sm, request)["FailureReason"]


def test_an_empty_prefix_fails_at_downloading(sm: Any, bucket: str, cloud: RunningCloud) -> None:
    uri = f"s3://{bucket}/nothing/here/"
    request = job_request(bucket, InputDataConfig=[channel("train", uri)])
    described = failed(sm, request)
    assert described["FailureReason"].startswith(
        f'ClientError: No S3 objects found under S3 URL "{uri}" given in input data source.'
    )
    assert cloud.region in described["FailureReason"]
    assert phases(described) == ["Starting", "Downloading", "Failed"]


def test_an_unknown_input_bucket_fails_at_downloading(sm: Any, bucket: str) -> None:
    missing = f"missing-{unique('b')}"
    request = job_request(bucket, InputDataConfig=[channel("train", f"s3://{missing}/train/")])
    described = failed(sm, request)
    assert described["FailureReason"] == (
        f'ClientError: Data download failed: the bucket "{missing}" does not exist '
        f"(s3://{missing}/train/)"
    )
    assert phases(described) == ["Starting", "Downloading", "Failed"]


def test_an_unknown_output_bucket_fails_before_training(sm: Any, bucket: str) -> None:
    missing = f"missing-{unique('o')}"
    request = job_request(bucket, OutputDataConfig={"S3OutputPath": f"s3://{missing}/models"})
    described = failed(sm, request)
    assert described["FailureReason"].startswith(
        f'ClientError: Artifact upload failed: the output bucket "{missing}" does not exist'
    )


def test_without_a_train_channel_the_algorithm_fails_the_job(sm: Any, bucket: str) -> None:
    request = job_request(
        bucket, InputDataConfig=[channel("validation", f"s3://{bucket}/data/validation")]
    )
    assert failed(sm, request)["FailureReason"] == "ClientError: Missing required channel: train"


def test_a_missing_manifest_and_a_missing_listed_object_fail_the_job(
    sm: Any, s3: Any, bucket: str
) -> None:
    def manifest_channel(key: str) -> dict[str, Any]:
        source = {"S3DataType": "ManifestFile", "S3Uri": f"s3://{bucket}/{key}"}
        return {"ChannelName": "train", "DataSource": {"S3DataSource": source}}

    request = job_request(bucket, InputDataConfig=[manifest_channel("no/such.manifest")])
    assert failed(sm, request)["FailureReason"].startswith(
        f"ClientError: Data download failed: s3://{bucket}/no/such.manifest does not exist"
    )
    s3.put_object(Bucket=bucket, Key="m/bad.manifest", Body=b'[{"prefix": "s3://x/"}, "a", 7]')
    request = job_request(bucket, InputDataConfig=[manifest_channel("m/bad.manifest")])
    assert "entry 7 is not a relative key" in failed(sm, request)["FailureReason"]
    s3.put_object(
        Bucket=bucket, Key="m/gone.manifest", Body=f'[{{"prefix": "s3://{bucket}/m/"}}, "gone"]'
    )
    request = job_request(bucket, InputDataConfig=[manifest_channel("m/gone.manifest")])
    assert (
        f"s3://{bucket}/m/gone, listed in s3://{bucket}/m/gone.manifest"
        in (failed(sm, request)["FailureReason"])
    )


def test_unsupported_channel_options_fail_the_job_saying_what_to_do(sm: Any, bucket: str) -> None:
    uri = f"s3://{bucket}/data/train"
    gzip = job_request(bucket, InputDataConfig=[channel("train", uri, CompressionType="Gzip")])
    assert "store the data uncompressed" in failed(sm, gzip)["FailureReason"]
    augmented = job_request(bucket, InputDataConfig=[channel("train", uri)])
    augmented["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3DataType"] = (
        "AugmentedManifestFile"
    )
    assert "use S3Prefix or ManifestFile" in failed(sm, augmented)["FailureReason"]
    efs = job_request(bucket)
    efs["InputDataConfig"] = [
        {
            "ChannelName": "train",
            "DataSource": {
                "FileSystemDataSource": {
                    "FileSystemId": "fs-0123456789",
                    "FileSystemAccessMode": "ro",
                    "FileSystemType": "EFS",
                    "DirectoryPath": "/data",
                }
            },
        }
    ]
    assert "reads channels from S3 only" in failed(sm, efs)["FailureReason"]


def test_a_tiny_max_runtime_stops_the_job_as_max_runtime_exceeded(
    sm: Any, s3: Any, cloud: RunningCloud
) -> None:
    bucket = new_bucket(s3)
    s3.put_object(Bucket=bucket, Key="big/train.csv", Body=regression_csv(20000, features=10))
    request = job_request(
        bucket,
        InputDataConfig=[channel("train", f"s3://{bucket}/big/")],
        HyperParameters={"num_round": "100000", "max_depth": "8", "eta": "0.01"},
        StoppingCondition={"MaxRuntimeInSeconds": 1},
    )
    sm.create_training_job(**request)
    described = wait_terminal(sm, request["TrainingJobName"], timeout=30)
    assert described["TrainingJobStatus"] == "Stopped"
    assert described["SecondaryStatus"] == "MaxRuntimeExceeded"
    assert "MaxRuntimeInSeconds (1 s)" in described["FailureReason"]
    assert "ModelArtifacts" not in described
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="output/")
    assert listed["KeyCount"] == 0
    messages = log_messages(cloud.client("logs"), request["TrainingJobName"])
    assert any(m.startswith("[0]#011train-rmse:") for m in messages)


def test_requests_sagemaker_refuses_are_validation_errors(sm: Any, bucket: str) -> None:
    without = job_request(bucket)
    del without["AlgorithmSpecification"]
    with pytest.raises(ClientError, match="algorithmSpecification") as caught:
        sm.create_training_job(**without)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    by_name = job_request(
        bucket, AlgorithmSpecification={"AlgorithmName": "xgb", "TrainingInputMode": "File"}
    )
    with pytest.raises(ClientError, match=r"AlgorithmName .* is not supported"):
        sm.create_training_job(**by_name)
    neither = job_request(bucket, AlgorithmSpecification={"TrainingInputMode": "File"})
    with pytest.raises(ClientError, match="must specify TrainingImage or AlgorithmName"):
        sm.create_training_job(**neither)
    twice = job_request(bucket)
    twice["InputDataConfig"].append(twice["InputDataConfig"][0])
    with pytest.raises(ClientError, match="'train' is given more than once"):
        sm.create_training_job(**twice)
    https = job_request(bucket, OutputDataConfig={"S3OutputPath": "https://example.com/out"})
    with pytest.raises(ClientError, match=r"OutputDataConfig\.S3OutputPath"):
        sm.create_training_job(**https)
    refused = [without, by_name, neither, twice, https]
    for request in refused:
        with pytest.raises(ClientError, match="Requested resource not found"):
            sm.describe_training_job(TrainingJobName=request["TrainingJobName"])


def test_malformed_requests_name_the_field(cloud: RunningCloud, bucket: str) -> None:
    request = job_request(bucket, TrainingJobName="under_score")
    reply = raw_call(cloud, "CreateTrainingJob", request)
    assert reply.code == "ValidationException"
    assert "TrainingJobName" in reply.message
    no_output = job_request(bucket)
    del no_output["OutputDataConfig"]
    reply = raw_call(cloud, "CreateTrainingJob", no_output)
    assert reply.code == "ValidationException"
    assert "OutputDataConfig" in reply.message
    numeric = job_request(bucket, HyperParameters={"num_round": 10})
    reply = raw_call(cloud, "CreateTrainingJob", numeric)
    assert reply.code == "ValidationException"
    assert "num_round" in reply.message
