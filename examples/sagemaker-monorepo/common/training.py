"""Train with SageMaker's built-in XGBoost through the SageMaker Python SDK 2.x."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from common.settings import ModelSettings, positive_int

XGBOOST_VERSION = "1.5-1"


@dataclass(frozen=True)
class TrainedModel:
    job_name: str
    image_uri: str
    model_data: str  # s3://.../output/model.tar.gz
    metrics: list[dict[str, Any]]  # the job's FinalMetricDataList


def train_xgboost(
    settings: ModelSettings,
    boto_session: Any,
    role_arn: str,
    bucket: str,
    hyperparameters: dict[str, Any],
    channels: dict[str, str],
    tags: dict[str, str],
) -> TrainedModel:
    """Run one training job to completion (its log is streamed) and describe the result."""
    import sagemaker
    from sagemaker.estimator import Estimator
    from sagemaker.inputs import TrainingInput

    session = sagemaker.Session(boto_session=boto_session, default_bucket=bucket)
    image_uri = sagemaker.image_uris.retrieve("xgboost", session.boto_region_name, XGBOOST_VERSION)
    estimator = Estimator(
        image_uri=image_uri,
        role=role_arn,
        instance_count=1,
        instance_type=os.environ.get("TRAINING_INSTANCE_TYPE", "ml.m5.large"),
        output_path=f"s3://{bucket}/{settings.name}/models",
        base_job_name=settings.name,
        sagemaker_session=session,
        hyperparameters=hyperparameters,
        # A bound on the job, so a hung job fails the pipeline instead of billing for days.
        max_run=positive_int("TRAINING_MAX_SECONDS", 3600),
        tags=[{"Key": key, "Value": value} for key, value in tags.items()],
    )
    inputs = {name: TrainingInput(uri, content_type="text/csv") for name, uri in channels.items()}
    estimator.fit(inputs, logs=True)
    job = estimator.latest_training_job
    if job is None:  # fit() returns only after the job ended, so this is a broken SDK
        raise RuntimeError("the SageMaker SDK did not record the training job it ran")
    job_name = str(job.name)
    described = session.sagemaker_client.describe_training_job(TrainingJobName=job_name)
    return TrainedModel(
        job_name=job_name,
        image_uri=image_uri,
        model_data=str(estimator.model_data),
        metrics=list(described.get("FinalMetricDataList", [])),
    )
