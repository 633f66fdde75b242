"""The example monorepo's scripts, unchanged, against mlci's own cloud: a branch trains,
registers and approves; main deploys; a second change updates the endpoint and cleans up.

Skipped (saying which operation is missing) while the cloud does not implement training or
hosting yet.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

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
    ours = [m["ModelName"] for m in sm.list_models(NameContains="abalone-model")["Models"]]
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
