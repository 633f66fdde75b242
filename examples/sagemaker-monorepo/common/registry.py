"""The SageMaker model registry: register a trained model for review, approve it, find it again.

A package is registered as PendingManualApproval — a person approves it in CircleCI, and only
then does the approval job mark that very package Approved. Each package records the validation
metrics of its training job (as a model-quality statistics file) and the git identity of the
code it came from, so deployment can look up the package by the code it is asked to deploy.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from common.data import parse_s3_uri
from common.errors import StepFailed
from common.source import SourceVersion

PENDING = "PendingManualApproval"
APPROVED = "Approved"
# SageMaker's model-quality statistics group the metrics by problem type under these keys.
PROBLEM_KEYS = {
    "regression": "regression_metrics",
    "binary_classification": "binary_classification_metrics",
}


@dataclass(frozen=True)
class Package:
    arn: str
    group: str
    version: int
    status: str
    metadata: dict[str, str]

    @classmethod
    def from_description(cls, described: dict[str, Any]) -> Package:
        return cls(
            arn=described["ModelPackageArn"],
            group=described["ModelPackageGroupName"],
            version=int(described.get("ModelPackageVersion", 0)),
            status=described["ModelApprovalStatus"],
            metadata=dict(described.get("CustomerMetadataProperties", {})),
        )


def ensure_group(sm: Any, group: str, description: str) -> None:
    """Create the model package group unless it exists (safe when two jobs race to create it)."""
    if _group_exists(sm, group):
        return
    try:
        sm.create_model_package_group(
            ModelPackageGroupName=group, ModelPackageGroupDescription=description[:1024]
        )
        print(f"created model package group {group}")
    except sm.exceptions.ClientError:
        if not _group_exists(sm, group):  # not a lost race: a real failure
            raise


def _group_exists(sm: Any, group: str) -> bool:
    try:
        sm.describe_model_package_group(ModelPackageGroupName=group)
    except sm.exceptions.ClientError as exc:
        if exc.response["Error"]["Code"] in ("ValidationException", "ResourceNotFound"):
            return False
        raise
    return True


def validation_statistics(metrics: list[dict[str, Any]], problem: str) -> dict[str, Any]:
    """Model-quality statistics from a training job's FinalMetricDataList (validation only)."""
    values = {
        m["MetricName"].split(":", 1)[1]: float(m["Value"])
        for m in metrics
        if m["MetricName"].startswith("validation:")
    }
    if not values:
        reported = ", ".join(m["MetricName"] for m in metrics) or "none"
        raise StepFailed(
            "the training job reported no validation metric (metrics: "
            f"{reported}); is the validation channel given and eval_metric set?"
        )
    body = {name: {"value": value, "standard_deviation": "NaN"} for name, value in values.items()}
    return {PROBLEM_KEYS[problem]: body}


def put_statistics(s3: Any, uri: str, statistics: dict[str, Any]) -> None:
    bucket, key = parse_s3_uri(uri)
    body = json.dumps(statistics, indent=2, sort_keys=True).encode()
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")


@dataclass(frozen=True)
class Registration:
    group: str
    description: str
    image_uri: str
    model_data: str
    statistics_uri: str
    source: SourceVersion
    extra_metadata: dict[str, str]  # training job, data locations, CI pipeline


def register_package(sm: Any, registration: Registration) -> str:
    """Register one model version, pending manual approval; returns its ARN."""
    r = registration
    ensure_group(sm, r.group, r.description)
    response = sm.create_model_package(
        ModelPackageGroupName=r.group,
        ModelPackageDescription=r.description[:1024],
        ModelApprovalStatus=PENDING,
        InferenceSpecification={
            "Containers": [{"Image": r.image_uri, "ModelDataUrl": r.model_data}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        ModelMetrics={
            "ModelQuality": {
                "Statistics": {"ContentType": "application/json", "S3Uri": r.statistics_uri}
            }
        },
        MetadataProperties=ci_metadata(r.source),
        CustomerMetadataProperties={**r.extra_metadata, **r.source.metadata()},
    )
    return str(response["ModelPackageArn"])


def ci_metadata(source: SourceVersion) -> dict[str, str]:
    """MetadataProperties: the commit, and the repository and CI job when CircleCI says them."""
    properties = {"CommitId": source.commit}
    for field, variable in (
        ("Repository", "CIRCLE_REPOSITORY_URL"),
        ("GeneratedBy", "CIRCLE_BUILD_URL"),
    ):
        if os.environ.get(variable):
            properties[field] = os.environ[variable][:1024]
    return properties


def pipeline_metadata() -> dict[str, str]:
    """Which CircleCI pipeline and workflow trained the package, when run on CircleCI."""
    number = os.environ.get("CIRCLE_PIPELINE_NUMBER", "")
    workflow = os.environ.get("CIRCLE_WORKFLOW_ID", "")
    if not number and not workflow:
        return {}
    return {"pipeline": f"{number or '?'}/{workflow or '?'}"}


def describe(sm: Any, arn: str) -> Package:
    try:
        return Package.from_description(sm.describe_model_package(ModelPackageName=arn))
    except sm.exceptions.ClientError as exc:
        raise StepFailed(f"cannot read model package {arn}: {exc}") from None


def packages(sm: Any, group: str, status: str) -> Iterator[Package]:
    """The group's packages with `status`, newest first, described (metadata included)."""
    pages = sm.get_paginator("list_model_packages").paginate(
        ModelPackageGroupName=group,
        ModelApprovalStatus=status,
        SortBy="CreationTime",
        SortOrder="Descending",
    )
    for page in pages:
        for summary in page["ModelPackageSummaryList"]:
            yield describe(sm, summary["ModelPackageArn"])


def find_approved(sm: Any, group: str, source: SourceVersion) -> Package:
    """The newest Approved package trained from `source`'s folder contents, or StepFailed."""
    seen = []
    for package in packages(sm, group, APPROVED):
        if source.built(package.metadata):
            return package
        seen.append(f"v{package.version} (tree {package.metadata.get('git_tree', '?')[:12]})")
    raise StepFailed(
        f"no Approved model package in group {group} was trained from this code "
        f"({source.describe()}); approved packages: {', '.join(seen) or 'none'}. Train and approve "
        "it on a branch whose model folder matches this commit's, then deploy again."
    )


def approve(sm: Any, arn: str, group: str, source: SourceVersion, note: str) -> Package:
    """Mark the package trained by this workflow Approved, after checking it is the right one."""
    package = describe(sm, arn)
    if package.group != group:
        raise StepFailed(f"package {arn} belongs to group {package.group}, not {group}")
    if not source.built(package.metadata):
        raise StepFailed(
            f"package {arn} was trained from tree {package.metadata.get('git_tree', '?')[:12]}, "
            f"but this checkout has {source.describe()}; refusing to approve other code"
        )
    if package.status == APPROVED:
        print(f"{arn} is already Approved")
        return package
    if package.status != PENDING:
        raise StepFailed(f"package {arn} is {package.status}; only a pending package is approved")
    sm.update_model_package(
        ModelPackageArn=arn,
        ModelApprovalStatus=APPROVED,
        ApprovalDescription=note[:1024],
        # Restated unchanged: SageMaker keeps metadata an update leaves out, but some
        # stand-ins (moto) replace it, and deployment finds the package by it.
        CustomerMetadataProperties=package.metadata,
    )
    return describe(sm, arn)
