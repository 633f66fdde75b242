"""The example's data preparation against moto_server, run as the CI jobs run it: seeding the
sample bucket, the gather_data scripts, and how they fail."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from mlci.samples import locate, seed_sample_bucket
from tests.integration.examples.moto_support import (
    DEFAULT_BUCKET,
    aws_env,
    git,
    import_example,
    run_script,
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


def test_abalone_rows_keep_the_features_in_order(repo: Path) -> None:
    (gather,) = import_example(repo, "abalone_model.gather_data")
    frame = gather.libsvm_to_frame(
        "15 1:1 2:0.455 3:0.365 4:0.095 5:0.514 6:0.2245 7:0.101 8:0.15\n9 1:3 8:0.2\n"
    )
    assert frame.to_csv(header=False, index=False, na_rep="").splitlines() == [
        "15,1.0,0.455,0.365,0.095,0.514,0.2245,0.101,0.15",
        "9,3.0,,,,,,,0.2",  # absent libsvm features are missing values, not zeros
    ]
    with pytest.raises(gather.StepFailed, match=r"line 1: feature index '9' is not 1\.\.8"):
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
    with pytest.raises(gather.StepFailed, match=r"lacks the columns \['Phone'\]"):
        gather.preprocess(raw.drop(columns=["Phone"]))
    with pytest.raises(
        gather.StepFailed, match=r"Churn\? must be True\. or False\., found \['maybe'\]"
    ):
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


def test_training_needs_the_prepared_data_first(aws: SimpleNamespace, repo: Path) -> None:
    env = {**aws_env(aws.url), "MODEL_NAME": "abalone-model"}
    done = run_script(repo, "abalone_model.train_register", env)
    commit = git(repo, "rev-parse", "HEAD")
    assert done.returncode == 1
    assert (
        f"error: s3://{DEFAULT_BUCKET}/abalone-model/train/{commit}.csv does not exist; "
        "run gather_data first"
    ) in done.stderr
