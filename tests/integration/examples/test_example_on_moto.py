"""The example's registry and hosting code against moto_server: registration, approval and
deployment, through the same functions the scripts call.

Training itself is not run (moto does not train); the registration is fed what a training job
reports. moto has no UpdateEndpoint, so only a first deployment is exercised here.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.integration.examples.moto_support import (
    DEFAULT_BUCKET,
    ROLE_ARN,
    git,
    moto_post,
)

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.5-1"


# --- registry --------------------------------------------------------------------------


def trained(ex: SimpleNamespace, job: str, rmse: float) -> Any:
    return ex.training.TrainedModel(
        job_name=job,
        image_uri=IMAGE,
        model_data=f"s3://{DEFAULT_BUCKET}/abalone-model/models/{job}/output/model.tar.gz",
        metrics=[
            {"MetricName": "train:rmse", "Value": rmse - 0.3},
            {"MetricName": "validation:rmse", "Value": rmse},
        ],
    )


def register(
    ex: SimpleNamespace, aws: SimpleNamespace, repo: Path, job: str, source: Any = None
) -> str:
    folder = repo / "abalone_model"
    settings = ex.settings.model_settings(folder)
    bucket = ex.settings.data_bucket(aws.session)
    source = source or ex.source.source_version(folder)
    return str(
        ex.steps.register_trained(
            aws.sm, aws.s3, settings, bucket, source, trained(ex, job, 2.1), "regression"
        )
    )


def test_registration_records_metrics_and_the_code(
    aws: SimpleNamespace, ex: SimpleNamespace, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CIRCLE_PIPELINE_NUMBER", "42")
    monkeypatch.setenv("CIRCLE_WORKFLOW_ID", "wf-1")
    first = register(ex, aws, repo, "abalone-model-job-1")
    second = register(ex, aws, repo, "abalone-model-job-2")  # the group exists by now
    assert (first.rsplit("/", 1)[1], second.rsplit("/", 1)[1]) == ("1", "2")

    described = aws.sm.describe_model_package(ModelPackageName=second)
    assert described["ModelApprovalStatus"] == "PendingManualApproval"
    commit = git(repo, "rev-parse", "HEAD")
    assert described["MetadataProperties"]["CommitId"] == commit
    metadata = described["CustomerMetadataProperties"]
    assert metadata["git_commit"] == commit
    assert metadata["git_tree"] == git(repo, "rev-parse", "HEAD:abalone_model")
    assert metadata["git_common_tree"] == git(repo, "rev-parse", "HEAD:common")
    assert metadata["pipeline"] == "42/wf-1"
    assert metadata["test_data"] == f"s3://{DEFAULT_BUCKET}/abalone-model/test/{commit}.csv"
    statistics = described["ModelMetrics"]["ModelQuality"]["Statistics"]
    key = statistics["S3Uri"].split(f"s3://{DEFAULT_BUCKET}/", 1)[1]
    assert key == "abalone-model/metrics/abalone-model-job-2/statistics.json"
    stored = json.loads(aws.s3.get_object(Bucket=DEFAULT_BUCKET, Key=key)["Body"].read())
    assert stored == {"regression_metrics": {"rmse": {"value": 2.1, "standard_deviation": "NaN"}}}
    container = described["InferenceSpecification"]["Containers"][0]
    assert container["ModelDataUrl"].endswith("/abalone-model-job-2/output/model.tar.gz")


def test_registration_needs_a_validation_metric(ex: SimpleNamespace) -> None:
    with pytest.raises(ex.errors.StepFailed, match=r"no validation metric \(metrics: train:auc\)"):
        ex.registry.validation_statistics(
            [{"MetricName": "train:auc", "Value": 0.9}], "binary_classification"
        )
    statistics = ex.registry.validation_statistics(
        [{"MetricName": "validation:auc", "Value": 0.9}], "binary_classification"
    )
    assert statistics == {
        "binary_classification_metrics": {"auc": {"value": 0.9, "standard_deviation": "NaN"}}
    }


def set_status(aws: SimpleNamespace, arn: str, status: str) -> None:
    """UpdateModelPackage as a person in the console would; the metadata is restated because
    moto (unlike SageMaker) drops CustomerMetadataProperties an update leaves out."""
    metadata = aws.sm.describe_model_package(ModelPackageName=arn)["CustomerMetadataProperties"]
    aws.sm.update_model_package(
        ModelPackageArn=arn, ModelApprovalStatus=status, CustomerMetadataProperties=metadata
    )


def other_code(ex: SimpleNamespace, repo: Path) -> Any:
    real = ex.source.source_version(repo / "abalone_model")
    return ex.source.SourceVersion(real.commit, "0" * 40, real.common_tree)


def test_approve_marks_exactly_the_package_this_workflow_trained(
    aws: SimpleNamespace, ex: SimpleNamespace, repo: Path
) -> None:
    older = register(ex, aws, repo, "abalone-model-job-1")
    ours = register(ex, aws, repo, "abalone-model-job-2")
    settings = ex.settings.model_settings(repo / "abalone_model")
    ex.steps.write_package_arn(settings, ours)
    assert settings.package_arn_file == repo / ".build" / "abalone-model" / "model-package-arn"

    assert ex.steps.approve_trained(repo / "abalone_model") == ours
    status = {
        arn: aws.sm.describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"]
        for arn in (older, ours)
    }
    assert status == {older: "PendingManualApproval", ours: "Approved"}
    described = aws.sm.describe_model_package(ModelPackageName=ours)
    assert described["CustomerMetadataProperties"]["git_tree"]  # approval keeps the metadata
    assert ex.steps.approve_trained(repo / "abalone_model") == ours  # again: already Approved


def test_approve_refuses_other_code_rejected_packages_and_a_missing_arn(
    aws: SimpleNamespace, ex: SimpleNamespace, repo: Path
) -> None:
    source = ex.source.source_version(repo / "abalone_model")
    foreign = register(ex, aws, repo, "abalone-model-job-1", source=other_code(ex, repo))
    with pytest.raises(
        ex.errors.StepFailed,
        match=r"trained from tree 000000000000.*refusing to approve other code",
    ):
        ex.registry.approve(aws.sm, foreign, "abalone-model", source, "note")
    rejected = register(ex, aws, repo, "abalone-model-job-2")
    set_status(aws, rejected, "Rejected")
    with pytest.raises(
        ex.errors.StepFailed, match=r"is Rejected; only a pending package is approved"
    ):
        ex.registry.approve(aws.sm, rejected, "abalone-model", source, "note")
    with pytest.raises(
        ex.errors.StepFailed, match=r"belongs to group abalone-model, not churn-model"
    ):
        ex.registry.approve(aws.sm, rejected, "churn-model", source, "note")
    (repo / ".build" / "abalone-model" / "model-package-arn").unlink(missing_ok=True)
    with pytest.raises(
        ex.errors.StepFailed, match=r"model-package-arn is missing: the training job"
    ):
        ex.steps.approve_trained(repo / "abalone_model")


def test_deploy_finds_the_package_of_this_code_not_the_latest_approved(
    aws: SimpleNamespace, ex: SimpleNamespace, repo: Path
) -> None:
    source = ex.source.source_version(repo / "abalone_model")
    with pytest.raises(
        ex.errors.StepFailed,
        match=r"no Approved model package in group abalone-model was trained from this code "
        r".*approved packages: none",
    ):
        ex.registry.find_approved(aws.sm, "abalone-model", source)
    ours = register(ex, aws, repo, "abalone-model-job-1")
    ex.registry.approve(aws.sm, ours, "abalone-model", source, "reviewed")
    # Approved later, from another branch whose folder differs: the newest approved package.
    newer = register(ex, aws, repo, "abalone-model-job-2", source=other_code(ex, repo))
    set_status(aws, newer, "Approved")
    assert ex.registry.find_approved(aws.sm, "abalone-model", source).arn == ours
    with pytest.raises(
        ex.errors.StepFailed, match=r"approved packages: v2 \(tree 000000000000\), v1"
    ):
        ex.registry.find_approved(
            aws.sm,
            "abalone-model",
            ex.source.SourceVersion(source.commit, "1" * 40, source.common_tree),
        )


# --- deployment ------------------------------------------------------------------------


def queue_predictions(aws: SimpleNamespace, body: str) -> None:
    moto_post(
        aws.url,
        "/moto-api/static/sagemaker/endpoint-results",
        {"results": [{"Body": body, "ContentType": "text/csv"}]},
    )


def approved_with_test_data(aws: SimpleNamespace, ex: SimpleNamespace, repo: Path) -> Any:
    source = ex.source.source_version(repo / "abalone_model")
    arn = register(ex, aws, repo, "abalone-model-job-1")
    ex.registry.approve(aws.sm, arn, "abalone-model", source, "reviewed")
    rows = (
        "\n".join(f"{label},1,0.5,0.4,0.1,0.5,0.2,0.1,0.15" for label in (15, 7, 9, 10, 8, 11))
        + "\n"
    )
    commit = git(repo, "rev-parse", "HEAD")
    aws.s3.put_object(
        Bucket=DEFAULT_BUCKET, Key=f"abalone-model/test/{commit}.csv", Body=rows.encode()
    )
    return source


def test_first_deployment_creates_waits_verifies_cleans_up_and_smoke_tests(
    aws: SimpleNamespace, ex: SimpleNamespace, repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = approved_with_test_data(aws, ex, repo)
    # Leftovers of an earlier deployment of this endpoint, and a model that is not ours.
    old = "abalone-model-v0-20200101000000"
    aws.sm.create_model(ModelName=old, ExecutionRoleArn=ROLE_ARN, PrimaryContainer={"Image": IMAGE})
    aws.sm.create_model(
        ModelName="abalone-model-shadow",
        ExecutionRoleArn=ROLE_ARN,
        PrimaryContainer={"Image": IMAGE},
    )
    aws.sm.create_endpoint_config(
        EndpointConfigName=old,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": old,
                "InitialInstanceCount": 1,
                "InstanceType": "ml.m5.large",
            }
        ],
    )
    queue_predictions(aws, "14.2,7.5,9.1,10.3,8.0")

    settings = ex.settings.model_settings(repo / "abalone_model")
    hosting = ex.steps.hosting_settings(settings, ROLE_ARN)
    name = ex.steps.deploy_approved(aws.sm, aws.runtime, aws.s3, hosting, source)

    assert name.startswith("abalone-model-v1-")
    endpoint = aws.sm.describe_endpoint(EndpointName="abalone-model")
    assert (endpoint["EndpointStatus"], endpoint["EndpointConfigName"]) == ("InService", name)
    config = aws.sm.describe_endpoint_config(EndpointConfigName=name)
    (variant,) = config["ProductionVariants"]
    assert (variant["VariantName"], variant["ModelName"]) == ("AllTraffic", name)
    model = aws.sm.describe_model(ModelName=name)
    assert model["Containers"][0]["ModelPackageName"].endswith("model-package/abalone-model/1")
    models = {m["ModelName"] for m in aws.sm.list_models()["Models"]}
    assert models == {name, "abalone-model-shadow"}
    configs = {c["EndpointConfigName"] for c in aws.sm.list_endpoint_configs()["EndpointConfigs"]}
    assert configs == {name}
    out = capsys.readouterr().out
    assert f"deleted endpoint config {old}" in out and f"deleted model {old}" in out

    # Re-running the job (CircleCI "rerun") finds the package already serving: no new rollout,
    # but the clean-up an interrupted run may have missed still happens.
    aws.sm.create_endpoint_config(
        EndpointConfigName=old,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": name,
                "InitialInstanceCount": 1,
                "InstanceType": "ml.m5.large",
            }
        ],
    )
    assert ex.steps.deploy_approved(aws.sm, aws.runtime, aws.s3, hosting, source) == name
    rerun = capsys.readouterr().out
    assert "already serves package v1" in rerun and f"deleted endpoint config {old}" in rerun
    assert {m["ModelName"] for m in aws.sm.list_models()["Models"]} == models
    assert "  14.2              15" in out and "  8                 8" in out


def test_a_rolled_back_update_fails_loudly(
    aws: SimpleNamespace, ex: SimpleNamespace, repo: Path
) -> None:
    source = approved_with_test_data(aws, ex, repo)
    queue_predictions(aws, "1,2,3,4,5")
    settings = ex.settings.model_settings(repo / "abalone_model")
    hosting = ex.steps.hosting_settings(settings, ROLE_ARN)
    deployed = ex.steps.deploy_approved(aws.sm, aws.runtime, aws.s3, hosting, source)
    # As SageMaker reports a failed update: InService again, but still on the old config.
    with pytest.raises(
        ex.errors.StepFailed,
        match=rf"is InService but runs {deployed}, not abalone-model-v9-x: "
        "the update was rolled back",
    ):
        ex.deployment.wait_until_serving(aws.sm, hosting, "abalone-model-v9-x")


def test_smoke_test_rejects_a_wrong_answer(
    aws: SimpleNamespace, ex: SimpleNamespace, repo: Path
) -> None:
    source = approved_with_test_data(aws, ex, repo)
    queue_predictions(aws, "1,2")
    settings = ex.settings.model_settings(repo / "abalone_model")
    hosting = ex.steps.hosting_settings(settings, ROLE_ARN)
    with pytest.raises(
        ex.errors.StepFailed, match=r"sent 5 rows to abalone-model but got 2 predictions"
    ):
        ex.steps.deploy_approved(aws.sm, aws.runtime, aws.s3, hosting, source)


def test_the_default_bucket_is_named_after_region_and_account(
    aws: SimpleNamespace, ex: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert ex.settings.data_bucket(aws.session) == DEFAULT_BUCKET
    assert aws.s3.head_bucket(Bucket=DEFAULT_BUCKET)["ResponseMetadata"]["HTTPStatusCode"] == 200
    monkeypatch.setenv("SAGEMAKER_BUCKET", "my-own-bucket")
    assert ex.settings.data_bucket(aws.session) == "my-own-bucket"
    assert aws.s3.head_bucket(Bucket="my-own-bucket")["ResponseMetadata"]["HTTPStatusCode"] == 200


# --- failures reported in one line ------------------------------------------------------


def test_approve_reports_an_unknown_package(
    aws: SimpleNamespace, ex: SimpleNamespace, repo: Path
) -> None:
    settings = ex.settings.model_settings(repo / "abalone_model")
    ex.steps.write_package_arn(
        settings, "arn:aws:sagemaker:us-east-1:123456789012:model-package/abalone-model/99"
    )
    with pytest.raises(ex.errors.StepFailed, match=r"cannot read model package .*abalone-model/99"):
        ex.steps.approve_trained(repo / "abalone_model")


def test_smoke_test_needs_rows_and_numbers(
    aws: SimpleNamespace, ex: SimpleNamespace, repo: Path
) -> None:
    smoke = ex.smoke
    aws.s3.create_bucket(Bucket="smoke-bucket")
    aws.s3.put_object(Bucket="smoke-bucket", Key="empty.csv", Body=b"")
    with pytest.raises(smoke.StepFailed, match=r"s3://smoke-bucket/empty.csv holds no rows"):
        smoke.smoke_test(aws.runtime, aws.s3, "abalone-model", "s3://smoke-bucket/empty.csv")
    assert smoke.parse_predictions("0.5,0.25\n") == [0.5, 0.25]
    assert smoke.parse_predictions("0.5\n0.25\n") == [0.5, 0.25]
    with pytest.raises(smoke.StepFailed, match=r"not predictions: '<html>'"):
        smoke.parse_predictions("<html>")


def test_settings_and_names_are_checked(
    ex: SimpleNamespace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENDPOINT_INSTANCE_COUNT", "0")
    with pytest.raises(
        ex.errors.StepFailed, match=r"ENDPOINT_INSTANCE_COUNT must be a positive integer, got '0'"
    ):
        ex.settings.positive_int("ENDPOINT_INSTANCE_COUNT", 1)
    assert (
        ex.deployment.resource_name("abalone-model", 3, now=0) == "abalone-model-v3-19700101000000"
    )
    with pytest.raises(ex.errors.StepFailed, match=r"MODEL_NAME 'x{50}' is too long"):
        ex.deployment.resource_name("x" * 50, 3)
    assert ex.steps.split_uri("b", "m", "train", "c0") == "s3://b/m/train/c0.csv"
    with pytest.raises(ex.errors.StepFailed, match=r"not an s3://bucket/key URI: 'https://x/y'"):
        ex.registry.parse_s3_uri("https://x/y")
    with pytest.raises(
        ex.errors.StepFailed, match=r"git rev-parse HEAD failed in .*: fatal: not a git repository"
    ):
        ex.source.source_version(tmp_path)
