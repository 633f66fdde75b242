"""The example's scripts against moto_server: data preparation end to end (as subprocesses),
and registration, approval and deployment through the same functions the scripts call.

Training itself is not run (moto does not train); the registration is fed what a training job
reports. moto has no UpdateEndpoint, so only a first deployment is exercised here.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import boto3
import pytest

from mlci.samples import locate, seed_sample_bucket
from tests.integration.examples.moto_support import (
    DEFAULT_BUCKET,
    ROLE_ARN,
    aws_env,
    example_repository,
    git,
    import_example,
    moto_post,
    moto_server,
    run_script,
)

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.5-1"
TEST_ROWS = 5


@pytest.fixture(scope="module")
def moto_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with moto_server(tmp_path_factory.mktemp("moto") / "moto.log") as url:
        yield url


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return example_repository(tmp_path_factory.mktemp("example") / "monorepo")


@pytest.fixture(scope="module")
def ex(repo: Path) -> SimpleNamespace:
    """The example's modules, imported from the repository copy."""
    names = ["common.steps", "common.registry", "common.deployment", "common.source"]
    names += ["common.settings", "common.training", "common.errors", "common.smoke"]
    modules: list[ModuleType] = import_example(repo, *names)
    return SimpleNamespace(
        **{name.split(".")[1]: module for name, module in zip(names, modules, strict=True)}
    )


@pytest.fixture
def aws(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    moto_post(moto_url, "/moto-api/reset")
    for name, value in aws_env(moto_url).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MODEL_NAME", "abalone-model")
    monkeypatch.setenv("MODEL_DESC", "abalone model description text")
    monkeypatch.setenv("ENDPOINT_WAIT_DELAY_SECONDS", "1")
    monkeypatch.setenv("ENDPOINT_WAIT_MAX_ATTEMPTS", "5")
    session = boto3.Session()
    return SimpleNamespace(
        url=moto_url,
        sm=session.client("sagemaker"),
        s3=session.client("s3"),
        runtime=session.client("sagemaker-runtime"),
        session=session,
    )


def samples_dir() -> Path:
    value = os.environ.get("MLCI_SAMPLES_DIR")
    if not value:
        pytest.skip("MLCI_SAMPLES_DIR is not set (CI sets it to the folder with the datasets)")
    return Path(value)


def read_csv_rows(s3: Any, key: str) -> list[list[str]]:
    body = s3.get_object(Bucket=DEFAULT_BUCKET, Key=key)["Body"].read().decode()
    assert body.endswith("\n")
    return [line.split(",") for line in body.splitlines()]


# --- data preparation, run as the CI job runs it ----------------------------------------


def test_gather_data_scripts_write_headerless_label_first_csv(
    aws: SimpleNamespace, repo: Path
) -> None:
    seed_sample_bucket(aws.s3, locate(samples_dir()))  # the seeding code, against moto's S3
    commit = git(repo, "rev-parse", "HEAD")
    expected = {
        "abalone": {"train": 2923, "validation": 626, "test": 628},
        "churn": {"train": 3500, "validation": 1000, "test": 500},
    }
    for model, sizes in expected.items():
        env = {**aws_env(aws.url), "MODEL_NAME": f"{model}-model"}
        done = run_script(repo, f"{model}_model.gather_data", env)
        assert done.returncode == 0, done.stderr
        widths = set()
        for split, size in sizes.items():
            rows = read_csv_rows(aws.s3, f"{model}-model/{split}/{commit}.csv")
            assert len(rows) == size
            widths |= {len(row) for row in rows}
            for row in rows:
                [float(field) for field in row]  # no header, every field numeric
            labels = {int(row[0]) for row in rows}
            assert labels <= ({0, 1} if model == "churn" else set(range(1, 30)))
        assert len(widths) == 1
    assert not git(repo, "status", "--porcelain")  # the scripts leave the checkout clean


def test_abalone_rows_keep_the_features_in_order(aws: SimpleNamespace, repo: Path) -> None:
    (gather,) = import_example(repo, "abalone_model.gather_data")
    frame = gather.libsvm_to_frame(
        "15 1:1 2:0.455 3:0.365 4:0.095 5:0.514 6:0.2245 7:0.101 8:0.15\n9 1:3 8:0.2\n"
    )
    assert frame.to_csv(header=False, index=False, na_rep="").splitlines() == [
        "15,1.0,0.455,0.365,0.095,0.514,0.2245,0.101,0.15",
        "9,3.0,,,,,,,0.2",  # absent libsvm features are missing values, not zeros
    ]
    with pytest.raises(Exception, match=r"line 1: feature index '9' is not 1\.\.8"):
        gather.libsvm_to_frame("15 9:1\n")


def test_churn_preprocessing_drops_identifiers_and_charges(repo: Path) -> None:
    import pandas as pd

    (gather,) = import_example(repo, "churn_model.gather_data")
    raw = pd.read_csv(samples_dir() / "churn.txt")
    prepared = gather.preprocess(raw)
    assert list(prepared.columns[:1]) == ["churn"]
    assert not [c for c in prepared.columns if "Charge" in c or c.startswith("Phone")]
    assert {str(dtype) for dtype in prepared.dtypes} <= {"int64", "float64"}
    assert prepared["churn"].sum() == 2498  # the True. rows
    parts = gather.split(prepared)
    assert [len(parts[s]) for s in ("train", "validation", "test")] == [3500, 1000, 500]
    assert parts["train"].equals(gather.split(prepared)["train"])  # seeded, repeatable
    with pytest.raises(Exception, match=r"lacks the columns \['Phone'\]"):
        gather.preprocess(raw.drop(columns=["Phone"]))
    with pytest.raises(Exception, match=r"Churn\? must be True\. or False\., found \['maybe'\]"):
        gather.preprocess(raw.assign(**{"Churn?": "maybe"}))


def test_gather_refuses_uncommitted_changes(aws: SimpleNamespace, repo: Path) -> None:
    script = repo / "abalone_model" / "gather_data.py"
    script.write_text(script.read_text() + "\n# an uncommitted edit\n")
    try:
        done = run_script(
            repo, "abalone_model.gather_data", {**aws_env(aws.url), "MODEL_NAME": "abalone-model"}
        )
    finally:
        git(repo, "checkout", "--", "abalone_model/gather_data.py")
    assert done.returncode == 1
    assert "error: abalone_model/ has uncommitted changes" in done.stderr
    assert "Traceback" not in done.stderr


def test_scripts_name_missing_settings(aws: SimpleNamespace, repo: Path) -> None:
    env = {k: v for k, v in aws_env(aws.url).items() if k != "SAGEMAKER_EXECUTION_ROLE_ARN"}
    done = run_script(repo, "churn_model.deploy", {**env, "MODEL_NAME": "churn-model"})
    assert done.returncode == 1
    assert "error: SAGEMAKER_EXECUTION_ROLE_ARN is not set" in done.stderr
    done = run_script(repo, "churn_model.approve", env)
    assert "error: MODEL_NAME is not set" in done.stderr


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


# --- failures the scripts report in one line ---------------------------------------------


def test_gather_says_when_the_sample_data_is_missing(aws: SimpleNamespace, repo: Path) -> None:
    env = {**aws_env(aws.url), "MODEL_NAME": "churn-model"}
    done = run_script(repo, "churn_model.gather_data", env)
    assert done.returncode == 1
    assert "error: bucket sagemaker-sample-files does not exist" in done.stderr
    aws.s3.create_bucket(Bucket="sagemaker-sample-files")
    done = run_script(repo, "churn_model.gather_data", env)
    assert (
        "error: s3://sagemaker-sample-files/datasets/tabular/synthetic/churn.txt does not exist"
        in done.stderr
    )


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
