"""The example monorepo's scripts, unchanged, against mlci's own cloud: a branch trains,
registers and approves; main deploys; a second change updates the endpoint and cleans up; a
failed update is reported (not hidden by the rollback); a failed endpoint is replaced.

Skipped (saying which operation is missing) while the cloud does not implement training or
hosting yet.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from mlci.samples import locate, seed_sample_bucket
from tests.conftest import RunningCloud
from tests.integration.examples.moto_support import ROLE_ARN, example_repository, git, run_script

pytestmark = pytest.mark.slow


def require(cloud: RunningCloud, operation: str, **probe: str) -> None:
    """Skip unless the cloud implements SageMaker `operation` (called with `probe`)."""
    method = re.sub(r"(?<!^)([A-Z])", r"_\1", operation).lower()
    try:
        getattr(cloud.client("sagemaker"), method)(**probe)
    except ClientError as exc:
        if "does not implement" in exc.response["Error"].get("Message", ""):
            pytest.skip(f"mlci cloud does not implement SageMaker.{operation} yet")


def require_hosting(cloud: RunningCloud) -> None:
    require(cloud, "DescribeEndpoint", EndpointName="probe")


@pytest.fixture(scope="module")
def flow(
    cloud: RunningCloud, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, dict[str, str]]]:
    require(cloud, "DescribeTrainingJob", TrainingJobName="probe")
    folder = os.environ.get("MLCI_SAMPLES_DIR")
    if not folder:
        pytest.skip("MLCI_SAMPLES_DIR is not set (CI sets it to the folder with the datasets)")
    seed_sample_bucket(cloud.client("s3"), locate(Path(folder)))
    repo = example_repository(tmp_path_factory.mktemp("cloud-example") / "monorepo")
    env = {
        **cloud.env(),
        "SAGEMAKER_EXECUTION_ROLE_ARN": ROLE_ARN.replace("123456789012", cloud.account_id),
        "ENDPOINT_WAIT_DELAY_SECONDS": "1",
        "SAGEMAKER_SUPPRESS_V2_WARNING": "1",
    }
    yield repo, env


def step(repo: Path, module: str, env: dict[str, str]) -> str:
    done = run_script(repo, module, env)
    assert done.returncode == 0, f"{module} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def branch_workflow(repo: Path, folder: str, env: dict[str, str]) -> str:
    step(repo, f"{folder}.gather_data", env)
    trained = step(repo, f"{folder}.train_register", env)
    assert "(PendingManualApproval)" in trained
    approved = step(repo, f"{folder}.approve", env)
    assert approved.strip().endswith("is Approved")
    return trained


def smoke_pairs(output: str) -> list[tuple[float, float]]:
    return [
        (float(p), float(label)) for p, label in re.findall(r"^  (\S+)\s+(\S+)$", output, re.M)[1:]
    ]


def test_branch_workflow_trains_registers_and_approves(
    cloud: RunningCloud, flow: tuple[Path, dict[str, str]]
) -> None:
    repo, base = flow
    env = {**base, "MODEL_NAME": "churn-model", "MODEL_DESC": "churn model"}
    trained = branch_workflow(repo, "churn_model", env)
    arn = (repo / ".build" / "churn-model" / "model-package-arn").read_text().strip()
    sm = cloud.client("sagemaker")
    package = sm.describe_model_package(ModelPackageName=arn)
    assert package["ModelApprovalStatus"] == "Approved"
    metadata = package["CustomerMetadataProperties"]
    assert metadata["git_tree"] == git(repo, "rev-parse", "HEAD:churn_model")
    job = sm.describe_training_job(TrainingJobName=metadata["training_job"])
    assert job["TrainingJobStatus"] == "Completed"
    (container,) = package["InferenceSpecification"]["Containers"]
    assert container["ModelDataUrl"] == job["ModelArtifacts"]["S3ModelArtifacts"]
    auc = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}["validation:auc"]
    assert 0.5 < auc <= 1
    assert f"'auc': {{'value': {auc}" in trained


def test_abalone_branch_main_and_a_second_change(
    cloud: RunningCloud, flow: tuple[Path, dict[str, str]]
) -> None:
    require_hosting(cloud)
    repo, base = flow
    env = {**base, "MODEL_NAME": "abalone-model", "MODEL_DESC": "abalone model"}
    branch_workflow(repo, "abalone_model", env)
    first = step(repo, "abalone_model.deploy", env)
    assert "created endpoint abalone-model with abalone-model-v1-" in first
    pairs = smoke_pairs(first)
    assert len(pairs) == 5 and all(0 < p < 30 for p, _ in pairs)

    # A change to the model folder, merged without being trained: nothing approved matches.
    script = repo / "abalone_model" / "train_register.py"
    script.write_text(script.read_text().replace('"num_round": 50', '"num_round": 30'))
    git(repo, "commit", "-q", "-am", "fewer rounds")
    refused = run_script(repo, "abalone_model.deploy", env)
    assert refused.returncode == 1
    assert "no Approved model package in group abalone-model was trained from this code" in (
        refused.stderr
    )

    branch_workflow(repo, "abalone_model", env)
    second = step(repo, "abalone_model.deploy", env)
    assert "updated endpoint abalone-model with abalone-model-v2-" in second
    assert re.search(r"deleted endpoint config abalone-model-v1-\d{14}", second)
    sm = cloud.client("sagemaker")
    running = sm.describe_endpoint(EndpointName="abalone-model")["EndpointConfigName"]
    assert running.startswith("abalone-model-v2-")
    models = sm.list_models(NameContains="abalone-model")["Models"]
    ours = [
        m["ModelName"] for m in models if re.fullmatch(r"abalone-model-v\d+-\d{14}", m["ModelName"])
    ]
    assert ours == [running]


def test_churn_main_deploys_what_the_branch_approved(
    cloud: RunningCloud, flow: tuple[Path, dict[str, str]]
) -> None:
    require_hosting(cloud)
    repo, base = flow
    env = {**base, "MODEL_NAME": "churn-model", "MODEL_DESC": "churn model"}
    if not (repo / ".build" / "churn-model" / "model-package-arn").exists():
        branch_workflow(repo, "churn_model", env)
    deployed = step(repo, "churn_model.deploy", env)
    pairs = smoke_pairs(deployed)
    assert len(pairs) == 5
    assert all(0 <= p <= 1 and label in (0, 1) for p, label in pairs)


def copy_package(sm: Any, source_arn: str, group: str, model_data: str) -> str:
    """An Approved package like `source_arn` (same code identity) but with other model data."""
    source = sm.describe_model_package(ModelPackageName=source_arn)
    (container,) = source["InferenceSpecification"]["Containers"]
    with contextlib.suppress(ClientError):
        sm.create_model_package_group(ModelPackageGroupName=group)
    arn = sm.create_model_package(
        ModelPackageGroupName=group,
        ModelApprovalStatus="Approved",
        InferenceSpecification={
            **source["InferenceSpecification"],
            "Containers": [{"Image": container["Image"], "ModelDataUrl": model_data}],
        },
        CustomerMetadataProperties=source["CustomerMetadataProperties"],
    )["ModelPackageArn"]
    return str(arn)


def broken_model_data(cloud: RunningCloud) -> str:
    s3 = cloud.client("s3")
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket="broken-models")
    s3.put_object(Bucket="broken-models", Key="model.tar.gz", Body=b"not a model archive")
    return "s3://broken-models/model.tar.gz"


def test_a_failed_update_is_reported_not_hidden(
    cloud: RunningCloud, flow: tuple[Path, dict[str, str]]
) -> None:
    require_hosting(cloud)
    repo, base = flow
    env = {**base, "MODEL_NAME": "churn-model", "MODEL_DESC": "churn model"}
    sm = cloud.client("sagemaker")
    if not (repo / ".build" / "churn-model" / "model-package-arn").exists():
        branch_workflow(repo, "churn_model", env)
    step(repo, "churn_model.deploy", env)
    serving = sm.describe_endpoint(EndpointName="churn-model")["EndpointConfigName"]
    good = (repo / ".build" / "churn-model" / "model-package-arn").read_text().strip()
    copy_package(sm, good, "churn-model", broken_model_data(cloud))

    failed = run_script(repo, "churn_model.deploy", env)
    assert failed.returncode == 1, failed.stdout
    # As on SageMaker, the cloud rolls back to the old fleet and says InService again.
    assert f"error: endpoint churn-model is InService but runs {serving}, not " in failed.stderr
    assert "the update was rolled back" in failed.stderr
    # The old model still serves, and the clean-up did not touch its config.
    assert sm.describe_endpoint(EndpointName="churn-model")["EndpointConfigName"] == serving
    configs = sm.list_endpoint_configs(NameContains="churn-model")["EndpointConfigs"]
    assert serving in {c["EndpointConfigName"] for c in configs}


def test_an_endpoint_whose_creation_failed_is_replaced(
    cloud: RunningCloud, flow: tuple[Path, dict[str, str]]
) -> None:
    require_hosting(cloud)
    repo, base = flow
    env = {**base, "MODEL_NAME": "churn-retry", "MODEL_DESC": "churn model, second endpoint"}
    churn_env = {**base, "MODEL_NAME": "churn-model", "MODEL_DESC": "churn model"}
    sm = cloud.client("sagemaker")
    if not (repo / ".build" / "churn-model" / "model-package-arn").exists():
        branch_workflow(repo, "churn_model", churn_env)
    good = (repo / ".build" / "churn-model" / "model-package-arn").read_text().strip()
    copy_package(sm, good, "churn-retry", broken_model_data(cloud))

    failed = run_script(repo, "churn_model.deploy", env)
    assert failed.returncode == 1
    assert "error: endpoint churn-retry did not become InService" in failed.stderr
    assert sm.describe_endpoint(EndpointName="churn-retry")["EndpointStatus"] == "Failed"

    model_data = sm.describe_model_package(ModelPackageName=good)["InferenceSpecification"]
    copy_package(sm, good, "churn-retry", model_data["Containers"][0]["ModelDataUrl"])
    replaced = step(repo, "churn_model.deploy", env)
    assert "created endpoint churn-retry with churn-retry-v2-" in replaced
    assert sm.describe_endpoint(EndpointName="churn-retry")["EndpointStatus"] == "InService"
