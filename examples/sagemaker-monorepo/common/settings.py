"""What a step needs to know, read from the environment (CircleCI job `environment` keys and
project variables), with defaults for everything that has a sensible one."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from common.errors import StepFailed


def required(name: str, hint: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise StepFailed(f"{name} is not set ({hint})")
    return value


@dataclass(frozen=True)
class ModelSettings:
    folder: Path  # the model's folder: its git tree identifies the code a package came from
    name: str  # MODEL_NAME: the registry group and the endpoint are named after it
    description: str

    @property
    def monorepo_root(self) -> Path:
        return self.folder.parent

    @property
    def package_arn_file(self) -> Path:
        """Where training leaves the package ARN for the approval job (via the workspace)."""
        override = os.environ.get("PACKAGE_ARN_FILE")
        if override:
            return Path(override)
        return self.monorepo_root / ".build" / self.name / "model-package-arn"


def model_settings(folder: Path) -> ModelSettings:
    return ModelSettings(
        folder=folder.resolve(),
        name=required("MODEL_NAME", "the job's environment names the model, e.g. abalone-model"),
        description=os.environ.get("MODEL_DESC", ""),
    )


def execution_role_arn() -> str:
    return required(
        "SAGEMAKER_EXECUTION_ROLE_ARN",
        "a project environment variable: the IAM role SageMaker assumes for training and hosting",
    )


def positive_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise StepFailed(f"{name} must be a positive integer, got {raw!r}")
    return int(raw)


def data_bucket(boto_session: object) -> str:
    """SAGEMAKER_BUCKET, else the SDK's default bucket (sagemaker-<region>-<account>)."""
    bucket = os.environ.get("SAGEMAKER_BUCKET", "").strip()
    if bucket:
        return bucket
    import sagemaker  # imported here: the SDK is slow to import and only this path needs it

    return str(sagemaker.Session(boto_session=boto_session).default_bucket())
