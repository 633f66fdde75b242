"""What a step needs to know, read from the environment (CircleCI job `environment` keys and
project variables), with defaults for everything that has a sensible one."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def data_bucket(boto_session: Any) -> str:
    """SAGEMAKER_BUCKET, else the SDK's default name, sagemaker-<region>-<account>; created if
    missing.

    Worked out here with boto3 rather than by the SDK's Session.default_bucket(): the SDK sends
    its STS call to the public regional endpoint explicitly, which ignores AWS_ENDPOINT_URL.
    """
    bucket = os.environ.get("SAGEMAKER_BUCKET", "").strip()
    region = boto_session.region_name
    if not bucket:
        account = boto_session.client("sts").get_caller_identity()["Account"]
        bucket = f"sagemaker-{region}-{account}"
    s3 = boto_session.client("s3")
    try:
        s3.head_bucket(Bucket=bucket)
    except s3.exceptions.ClientError as exc:
        if exc.response["Error"]["Code"] not in ("404", "NoSuchBucket", "NotFound"):
            raise StepFailed(f"cannot use bucket {bucket}: {exc}") from None
        where = (
            {}
            if region == "us-east-1"
            else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        )
        s3.create_bucket(Bucket=bucket, **where)
        print(f"created bucket {bucket}")
    return bucket
