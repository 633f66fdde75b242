"""The SageMaker Python SDK end to end: Estimator.fit on the article's abalone and churn models.

The data comes from MLCI_SAMPLES_DIR (abalone.data, churn.txt), converted here as the example
repositories do: label first, no header, split 70/20/10; the test is skipped without it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.conftest import RunningCloud
from tests.integration.cloud.training_support import archive_members, metrics
from tests.unit.algorithms.xgboost.sample_data import (
    SEX_CODES,
    churn_csv,
    samples_dir,
    split_70_20_10,
)

pytestmark = [
    pytest.mark.slow,  # the SDK sleeps 5 s before its first DescribeTrainingJob
    pytest.mark.skipif(
        not os.environ.get("MLCI_SAMPLES_DIR"),
        reason="MLCI_SAMPLES_DIR is not set: it names the folder with abalone.data/churn.txt",
    ),
]

# The article's abalone hyperparameters (train_register.py).
ABALONE_HYPERPARAMETERS = {
    "objective": "reg:linear",
    "max_depth": 5,
    "eta": 0.2,
    "gamma": 4,
    "min_child_weight": 6,
    "subsample": 0.7,
    "verbosity": 2,
    "num_round": 50,
}
CHURN_HYPERPARAMETERS = {
    "objective": "binary:logistic",
    "eval_metric": "auc",
    "max_depth": 5,
    "eta": 0.2,
    "gamma": 4,
    "min_child_weight": 6,
    "subsample": 0.8,
    "num_round": 100,
}


# The SDK reports each fit() to an AWS telemetry endpoint unless told not to; tests stay local.
NO_TELEMETRY = {
    "SchemaVersion": "1.0",
    "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}},
}


def abalone_csv(raw: str) -> list[str]:
    """UCI abalone rows -> 'rings,sex code,length,...,shell weight'."""
    lines = []
    for row in raw.strip().splitlines():
        sex, *measurements, rings = row.split(",")
        lines.append(",".join([rings, SEX_CODES[sex], *measurements]))
    return lines


@pytest.fixture
def session(cloud: RunningCloud, monkeypatch: pytest.MonkeyPatch) -> Any:
    import sagemaker

    for name, value in cloud.env().items():
        monkeypatch.setenv(name, value)
    return sagemaker.Session(
        boto_session=boto3.Session(region_name=cloud.region),
        sagemaker_client=cloud.client("sagemaker"),
        sagemaker_runtime_client=cloud.client("sagemaker-runtime"),
        default_bucket="sdk-training",
        sagemaker_config=NO_TELEMETRY,
    )


def fit(session: Any, model: str, lines: list[str], tmp_path: Path, hyperparameters: Any) -> Any:
    from sagemaker import image_uris
    from sagemaker.estimator import Estimator
    from sagemaker.inputs import TrainingInput

    bucket = session.default_bucket()
    split = split_70_20_10(lines)
    inputs = {}
    for part, folder in split.write(tmp_path / model, model).items():
        if part != "test":
            uri = session.upload_data(str(folder), bucket=bucket, key_prefix=f"{model}/{part}")
            inputs[part] = TrainingInput(uri, content_type="csv")
    estimator = Estimator(
        image_uri=image_uris.retrieve("xgboost", "us-east-1", "1.5-1"),
        instance_type="ml.m5.large",
        instance_count=1,
        output_path=f"s3://{bucket}/{model}/model",
        sagemaker_session=session,
        role="arn:aws:iam::123456789012:role/sagemaker-execution",
        hyperparameters=hyperparameters,
        base_job_name=model,
    )
    estimator.fit(inputs, logs=True)
    return estimator


def described(session: Any, estimator: Any) -> dict[str, Any]:
    job: dict[str, Any] = session.sagemaker_client.describe_training_job(
        TrainingJobName=estimator.latest_training_job.name
    )
    return job


def test_the_article_abalone_model_trains_with_the_sdk(
    session: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = abalone_csv((samples_dir() / "abalone.data").read_text())
    estimator = fit(session, "abalone-model", lines, tmp_path, ABALONE_HYPERPARAMETERS)

    printed = capsys.readouterr().out
    assert "Completed - Training job completed" in printed
    assert "[0]#011train-rmse:" in printed and "#011validation-rmse:" in printed
    assert "[49]#011train-rmse:" in printed
    job = described(session, estimator)
    assert job["HyperParameters"]["objective"] == "reg:linear"
    assert job["InputDataConfig"][0]["ContentType"] == "csv"
    assert metrics(job)["validation:rmse"] < 2.6
    name = estimator.latest_training_job.name
    assert estimator.model_data == (
        f"s3://sdk-training/abalone-model/model/{name}/output/model.tar.gz"
    )
    s3 = session.boto_session.client("s3")
    archive = s3.get_object(
        Bucket="sdk-training", Key=f"abalone-model/model/{name}/output/model.tar.gz"
    )
    assert list(archive_members(archive["Body"].read())) == ["xgboost-model"]


def test_the_churn_model_trains_with_the_sdk_to_a_good_auc(
    session: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = churn_csv(samples_dir() / "churn.txt")
    estimator = fit(session, "churn-model", lines, tmp_path, CHURN_HYPERPARAMETERS)

    printed = capsys.readouterr().out
    assert "[0]#011train-auc:" in printed and "#011validation-auc:" in printed
    job = described(session, estimator)
    assert job["TrainingJobStatus"] == "Completed"
    assert metrics(job)["validation:auc"] > 0.9
    assert estimator.model_data.endswith("/output/model.tar.gz")
