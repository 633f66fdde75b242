"""`mlci demo` as a user runs it (a subprocess, with the sample data offline), then every
step checked again from outside: the runner's state through `mlci status --json` and the
demo's cloud through boto3 with its credentials, and the endpoints invoked with rows of
each model's test split."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from mlci.pipeline.cloud_env import parse_exports

pytestmark = pytest.mark.slow
DEMO_TIMEOUT = 900


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MLCI_HOME"))}
    env.update(PYTHONUNBUFFERED="1", **extra)
    return env


@dataclass
class Demo:
    folder: Path
    done: subprocess.CompletedProcess[str]
    cloud_env: dict[str, str] = field(repr=False)  # holds the secret key: never printed

    @property
    def repo(self) -> Path:
        return self.folder / "monorepo"

    def status(self, number: int) -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, "-m", "mlci", "status", "--json", str(number)],
            cwd=self.repo,
            env=clean_env(MLCI_HOME=str(self.folder / "cloud")),
            capture_output=True,
            text=True,
            check=True,
        )
        return dict(json.loads(done.stdout))

    def client(self, service: str) -> Any:
        v = self.cloud_env
        return boto3.client(
            service,
            endpoint_url=v["AWS_ENDPOINT_URL"],
            aws_access_key_id=v["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=v["AWS_SECRET_ACCESS_KEY"],
            region_name=v["AWS_DEFAULT_REGION"],
            config=Config(s3={"addressing_style": "path"}),
        )


def mlci_cloud(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlci", "cloud", *args, "--home", str(folder / "cloud")],
        env=clean_env(),
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    samples = os.environ.get("MLCI_SAMPLES_DIR")
    if not samples:
        pytest.skip("MLCI_SAMPLES_DIR is not set (CI sets it to the folder with the datasets)")
    folder = tmp_path_factory.mktemp("demo") / "demo"
    try:
        done = subprocess.run(
            [sys.executable, "-m", "mlci", "demo", "--dir", str(folder), "--keep"],
            env=clean_env(MLCI_SAMPLES_DIR=samples),
            capture_output=True,
            text=True,
            timeout=DEMO_TIMEOUT,
            check=False,
        )
        assert done.returncode == 0, f"mlci demo failed:\n{done.stdout[-6000:]}\n{done.stderr}"
        exports = mlci_cloud(folder, "env")
        assert exports.returncode == 0, exports.stderr
        yield Demo(folder, done, parse_exports(exports.stdout))
    finally:
        mlci_cloud(folder, "stop")


def jobs_of(pipeline: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{w['name']}/{j['name']}": j
        for w in pipeline["workflows"]
        if w["kind"] != "setup"
        for j in w["jobs"]
    }


def ran(pipeline: dict[str, Any]) -> set[str]:
    return {name for name, job in jobs_of(pipeline).items() if job["status"] == "success"}


def test_the_demo_says_every_check_held(demo: Demo) -> None:
    out = demo.done.stdout
    assert "demo passed: 13 checks held" in out
    assert "EXPECTATION FAILED" not in out
    assert "a private mlci cloud for this demo only" in out
    # The deploy jobs' smoke tests are shown: predictions next to labels, for both models.
    assert out.count("predictions of abalone-model for rows of its test split") == 2
    assert out.count("predictions of churn-model for rows of its test split") == 1
    assert "validation:rmse" in out and "validation:auc" in out
    assert "mlci cloud stop" in out  # --keep: how to explore, and how to stop


def test_an_abalone_change_trains_abalone_only_and_main_only_deploys(demo: Demo) -> None:
    branch, main = demo.status(1), demo.status(2)
    assert branch["branch"] == "feature/abalone-tuning"
    assert branch["status"] == "success"
    assert ran(branch) == {
        "abalone-model/abalone-model-train",
        "abalone-model/request-deployment",
        "abalone-model/abalone-model-approve",
    }
    assert {w["name"] for w in branch["workflows"]} == {"select-models", "abalone-model"}
    hold = jobs_of(branch)["abalone-model/request-deployment"]
    assert hold["type"] == "approval" and hold["approved_by"]
    assert branch["parameters"]["deploy-abalone"] is True
    assert branch["parameters"].get("deploy-churn", False) is False

    assert main["branch"] == "main" and main["status"] == "success"
    assert ran(main) == {"abalone-model/abalone-model-deploy"}  # nothing trained on main
    assert set(jobs_of(main)) == {"abalone-model/abalone-model-deploy"}


def test_a_common_change_trains_and_deploys_both(demo: Demo) -> None:
    branch, main = demo.status(3), demo.status(4)
    assert branch["branch"] == "feature/shared-code" and branch["status"] == "success"
    assert ran(branch) == {
        f"{m}/{job}"
        for m in ("abalone-model", "churn-model")
        for job in (f"{m}-train", "request-deployment", f"{m}-approve")
    }
    assert ran(main) == {"abalone-model/abalone-model-deploy", "churn-model/churn-model-deploy"}
    assert set(jobs_of(main)) == ran(main)


def packages(demo: Demo, group: str) -> list[dict[str, Any]]:
    sm = demo.client("sagemaker")
    summaries = sm.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"]
    described = [
        sm.describe_model_package(ModelPackageName=s["ModelPackageArn"]) for s in summaries
    ]
    return sorted(described, key=lambda p: p["ModelPackageVersion"])


def test_package_versions_approval_states_and_lineage(demo: Demo) -> None:
    abalone, churn = packages(demo, "abalone-model"), packages(demo, "churn-model")
    assert [(p["ModelPackageVersion"], p["ModelApprovalStatus"]) for p in abalone] == [
        (1, "Approved"),
        (2, "Approved"),
    ]
    assert [(p["ModelPackageVersion"], p["ModelApprovalStatus"]) for p in churn] == [
        (1, "Approved")
    ]
    # Each package was trained from the commit of the branch pipeline that approved it.
    commits = [p["CustomerMetadataProperties"]["git_commit"] for p in (*abalone, *churn)]
    assert commits == [demo.status(1)["revision"], *[demo.status(3)["revision"]] * 2]


@pytest.mark.parametrize(("endpoint", "version"), [("abalone-model", 2), ("churn-model", 1)])
def test_endpoint_config_and_variant_serve_the_approved_package(
    demo: Demo, endpoint: str, version: int
) -> None:
    sm = demo.client("sagemaker")
    described = sm.describe_endpoint(EndpointName=endpoint)
    assert described["EndpointStatus"] == "InService"
    config = sm.describe_endpoint_config(EndpointConfigName=described["EndpointConfigName"])
    assert config["EndpointConfigName"].startswith(f"{endpoint}-v{version}-")
    [variant] = config["ProductionVariants"]
    assert variant["VariantName"] == "AllTraffic"
    assert variant["InitialInstanceCount"] == 1
    assert [v["VariantName"] for v in described["ProductionVariants"]] == ["AllTraffic"]
    model = sm.describe_model(ModelName=variant["ModelName"])
    arn = packages(demo, endpoint)[version - 1]["ModelPackageArn"]
    assert model["Containers"][0]["ModelPackageName"] == arn
    # Older configs were cleaned up after the rollout: only the serving one is left.
    configs = sm.list_endpoint_configs(NameContains=endpoint)["EndpointConfigs"]
    assert [c["EndpointConfigName"] for c in configs] == [described["EndpointConfigName"]]


def predictions_and_labels(demo: Demo, endpoint: str, rows: int = 200) -> list[tuple[float, float]]:
    """Invoke `endpoint` with the first rows of the test split its package records."""
    test_uri = packages(demo, endpoint)[-1]["CustomerMetadataProperties"]["test_data"]
    bucket, _, key = test_uri.removeprefix("s3://").partition("/")
    text = demo.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    lines = [line for line in text.splitlines() if line.strip()][:rows]
    labels = [float(line.partition(",")[0]) for line in lines]
    body = "\n".join(line.partition(",")[2] for line in lines).encode()
    answer = demo.client("sagemaker-runtime").invoke_endpoint(
        EndpointName=endpoint, ContentType="text/csv", Accept="text/csv", Body=body
    )
    raw = answer["Body"].read().decode().replace("\n", ",")
    predictions = [float(field) for field in raw.split(",") if field.strip()]
    assert len(predictions) == len(labels)
    return list(zip(predictions, labels, strict=True))


def test_abalone_predictions_are_within_a_sane_error(demo: Demo) -> None:
    pairs = predictions_and_labels(demo, "abalone-model")
    rmse = math.sqrt(sum((p - label) ** 2 for p, label in pairs) / len(pairs))
    assert rmse < 3, f"abalone RMSE {rmse:.2f} on {len(pairs)} test rows"


def test_churn_predictions_are_mostly_right(demo: Demo) -> None:
    pairs = predictions_and_labels(demo, "churn-model")
    assert all(0 <= p <= 1 for p, _ in pairs)  # binary:logistic gives probabilities
    accuracy = sum((p >= 0.5) == (label == 1) for p, label in pairs) / len(pairs)
    assert accuracy > 0.8, f"churn accuracy {accuracy:.2f} on {len(pairs)} test rows"


def test_a_folder_that_is_not_an_earlier_demo_is_refused(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    (tmp_path / "monorepo").mkdir()  # named like the demo's own folders: still untouched
    (tmp_path / "cloud").mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "mlci", "demo", "--dir", str(tmp_path)],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "is not an earlier mlci demo" in done.stdout
    assert (tmp_path / "precious.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cloud", "monorepo", "precious.txt"]
