"""The pipeline steps every model shares: train + register, approve, deploy.

Each model folder's scripts call these with what is particular to the model (hyperparameters,
problem type). The AWS-facing work is in functions that take boto3 clients, so it can be run
against any endpoint — AWS, a local stand-in, moto — without training anything.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pandas as pd

from common.data import SPLITS, put_split, require_objects, split_uri
from common.deployment import Hosting, deploy_package
from common.errors import StepFailed
from common.registry import (
    Registration,
    approve,
    find_approved,
    pipeline_metadata,
    put_statistics,
    register_package,
    validation_statistics,
)
from common.settings import (
    ModelSettings,
    data_bucket,
    execution_role_arn,
    model_settings,
    positive_int,
)
from common.smoke import smoke_test
from common.source import SourceVersion, source_version
from common.training import TrainedModel, train_xgboost


def gather(folder: Path, prepare: Callable[[Any], dict[str, pd.DataFrame]]) -> dict[str, str]:
    """Prepare the model's splits from the sample data and write them where training reads."""
    settings = model_settings(folder)
    source = source_version(folder, require_clean=True)
    session = boto3.Session()
    s3 = session.client("s3")
    bucket = data_bucket(session)
    uris = {}
    for split, frame in prepare(s3).items():
        uris[split] = split_uri(bucket, settings.name, split, source.commit)
        put_split(s3, uris[split], frame)
    return uris


def register_trained(
    sm: Any,
    s3: Any,
    settings: ModelSettings,
    bucket: str,
    source: SourceVersion,
    trained: TrainedModel,
    problem: str,
) -> str:
    """Record the trained model in the registry, pending approval; returns the package ARN."""
    statistics = validation_statistics(trained.metrics, problem)
    statistics_uri = f"s3://{bucket}/{settings.name}/metrics/{trained.job_name}/statistics.json"
    put_statistics(s3, statistics_uri, statistics)
    data = {
        f"{split}_data": split_uri(bucket, settings.name, split, source.commit) for split in SPLITS
    }
    registration = Registration(
        group=settings.name,
        description=settings.description,
        image_uri=trained.image_uri,
        model_data=trained.model_data,
        statistics_uri=statistics_uri,
        source=source,
        extra_metadata={"training_job": trained.job_name, **data, **pipeline_metadata()},
    )
    arn = register_package(sm, registration)
    print(f"registered {arn} (PendingManualApproval) with validation metrics {statistics}")
    return arn


def write_package_arn(settings: ModelSettings, arn: str) -> None:
    path = settings.package_arn_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(arn + "\n")
    print(f"package ARN written to {path}")


def train_and_register(folder: Path, hyperparameters: dict[str, Any], problem: str) -> str:
    settings = model_settings(folder)
    role_arn = execution_role_arn()
    source = source_version(folder, require_clean=True)
    session = boto3.Session()
    bucket = data_bucket(session)
    channels = {
        s: split_uri(bucket, settings.name, s, source.commit) for s in ("train", "validation")
    }
    require_objects(session.client("s3"), channels.values(), "run gather_data first")
    trained = train_xgboost(
        settings,
        session,
        role_arn,
        bucket,
        hyperparameters,
        channels,
        {"git_commit": source.commit},
    )
    print(f"training job {trained.job_name} produced {trained.model_data}")
    arn = register_trained(
        session.client("sagemaker"),
        session.client("s3"),
        settings,
        bucket,
        source,
        trained,
        problem,
    )
    write_package_arn(settings, arn)
    return arn


def approval_note() -> str:
    workflow = os.environ.get("CIRCLE_WORKFLOW_ID")
    if workflow:
        pipeline = os.environ.get("CIRCLE_PIPELINE_NUMBER", "?")
        return f"approved in CircleCI workflow {workflow} (pipeline {pipeline})"
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return f"approved by {os.environ.get('USER', 'someone')} at {when}"


def approve_trained(folder: Path) -> str:
    """Approve the package that this workflow's training job registered."""
    settings = model_settings(folder)
    path = settings.package_arn_file
    if not path.is_file():
        raise StepFailed(
            f"{path} is missing: the training job of the same workflow writes it and hands it on "
            "through the workspace (attach_workspace), so the approval applies to that package"
        )
    arn = path.read_text().strip()
    source = source_version(folder)
    package = approve(boto3.client("sagemaker"), arn, settings.name, source, approval_note())
    print(f"{package.arn} (v{package.version}) is {package.status}")
    return package.arn


def hosting_settings(settings: ModelSettings, role_arn: str) -> Hosting:
    return Hosting(
        endpoint=settings.name,
        role_arn=role_arn,
        instance_type=os.environ.get("ENDPOINT_INSTANCE_TYPE", "ml.m5.large"),
        instance_count=positive_int("ENDPOINT_INSTANCE_COUNT", 1),
        wait_delay_seconds=positive_int("ENDPOINT_WAIT_DELAY_SECONDS", 30),
        wait_max_attempts=positive_int("ENDPOINT_WAIT_MAX_ATTEMPTS", 60),
    )


def deploy_approved(sm: Any, runtime: Any, s3: Any, hosting: Hosting, source: SourceVersion) -> str:
    """Deploy the approved package trained from `source`, then smoke-test the endpoint."""
    package = find_approved(sm, hosting.endpoint, source)
    commit = package.metadata.get("git_commit", "?")[:12]
    print(f"deploying {package.arn} (v{package.version}, commit {commit})")
    name = deploy_package(sm, hosting, package)
    test_uri = package.metadata.get("test_data")
    if test_uri:
        smoke_test(runtime, s3, hosting.endpoint, test_uri)
    else:
        print("the package records no test data; smoke test skipped")
    return name


def deploy_folder(folder: Path) -> str:
    settings = model_settings(folder)
    hosting = hosting_settings(settings, execution_role_arn())
    session = boto3.Session()
    return deploy_approved(
        session.client("sagemaker"),
        session.client("sagemaker-runtime"),
        session.client("s3"),
        hosting,
        source_version(folder),
    )
