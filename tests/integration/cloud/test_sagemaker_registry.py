"""The model registry through boto3: groups, versioned and unversioned packages, updates."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import RunningCloud
from tests.integration.cloud.sagemaker_support import INFERENCE_SPECIFICATION, unique


@pytest.fixture
def group(sm: Any) -> str:
    name = unique("Registry")
    sm.create_model_package_group(ModelPackageGroupName=name, ModelPackageGroupDescription="d")
    return name


def register(sm: Any, group: str, **extra: Any) -> str:
    reply = sm.create_model_package(
        ModelPackageGroupName=group, InferenceSpecification=INFERENCE_SPECIFICATION, **extra
    )
    return str(reply["ModelPackageArn"])


def error_of(call: Any, **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def arn_prefix(cloud: RunningCloud) -> str:
    return f"arn:aws:sagemaker:{cloud.region}:{cloud.account_id}"


# --- groups ---------------------------------------------------------------------------------


def test_group_is_created_and_described_by_name_or_arn(sm: Any, cloud: RunningCloud) -> None:
    name = unique("Churn-Model")
    arn = sm.create_model_package_group(
        ModelPackageGroupName=name, ModelPackageGroupDescription="churn models"
    )["ModelPackageGroupArn"]
    assert arn == f"{arn_prefix(cloud)}:model-package-group/{name.lower()}"
    for reference in (name, arn, name.upper()):
        described = sm.describe_model_package_group(ModelPackageGroupName=reference)
        assert described["ModelPackageGroupName"] == name
        assert described["ModelPackageGroupArn"] == arn
        assert described["ModelPackageGroupDescription"] == "churn models"
        assert described["ModelPackageGroupStatus"] == "Completed"
        assert described["CreatedBy"]["IamIdentity"]["Arn"].endswith(":user/mlci")


def test_duplicate_group_names_are_refused_whatever_their_case(sm: Any, group: str) -> None:
    for name in (group, group.lower()):
        code, message = error_of(sm.create_model_package_group, ModelPackageGroupName=name)
        assert code == "ValidationException"
        assert message.startswith("Model Package Group already exists: arn:aws:sagemaker:")


def test_describing_a_missing_group_names_its_arn(sm: Any, cloud: RunningCloud) -> None:
    code, message = error_of(sm.describe_model_package_group, ModelPackageGroupName="no-such-group")
    assert code == "ValidationException"
    arn = f"{arn_prefix(cloud)}:model-package-group/no-such-group"
    assert message == f"ModelPackageGroup {arn} does not exist."


def test_an_arn_of_another_region_or_type_is_refused(sm: Any, cloud: RunningCloud) -> None:
    elsewhere = f"arn:aws:sagemaker:xx-west-9:{cloud.account_id}:model-package-group/g"
    code, message = error_of(sm.describe_model_package_group, ModelPackageGroupName=elsewhere)
    assert (code, message) == (
        "ValidationException",
        f"ARN should be scoped to correct region: {cloud.region}",
    )
    other_account = f"arn:aws:sagemaker:{cloud.region}:000000000000:model-package-group/g"
    _, message = error_of(sm.describe_model_package_group, ModelPackageGroupName=other_account)
    assert message == f"ARN should be scoped to correct account: {cloud.account_id}"
    wrong_type = f"{arn_prefix(cloud)}:model/g"
    _, message = error_of(sm.describe_model_package_group, ModelPackageGroupName=wrong_type)
    assert "is not a SageMaker model-package-group ARN" in message


def test_a_group_with_packages_cannot_be_deleted(sm: Any, group: str) -> None:
    package = register(sm, group)
    code, message = error_of(sm.delete_model_package_group, ModelPackageGroupName=group)
    assert code == "ConflictException"
    assert "still contains model packages" in message
    sm.delete_model_package(ModelPackageName=package)
    sm.delete_model_package_group(ModelPackageGroupName=group)
    code, _ = error_of(sm.describe_model_package_group, ModelPackageGroupName=group)
    assert code == "ValidationException"
    code, message = error_of(sm.delete_model_package_group, ModelPackageGroupName=group)
    assert message.endswith(f"model-package-group/{group.lower()} does not exist.")


# --- versioned packages ---------------------------------------------------------------------


def test_versions_count_up_per_group(sm: Any, group: str, cloud: RunningCloud) -> None:
    other = unique("Other")
    sm.create_model_package_group(ModelPackageGroupName=other)
    arns = [register(sm, group) for _ in range(3)]
    assert arns == [f"{arn_prefix(cloud)}:model-package/{group.lower()}/{v}" for v in (1, 2, 3)]
    assert register(sm, other).endswith(f"/{other.lower()}/1")
    group_arn = sm.describe_model_package_group(ModelPackageGroupName=group)["ModelPackageGroupArn"]
    assert register(sm, group_arn).endswith(f"/{group.lower()}/4")


def test_a_package_records_everything_it_was_registered_with(sm: Any, group: str) -> None:
    metrics = {
        "ModelQuality": {
            "Statistics": {"ContentType": "application/json", "S3Uri": "s3://m/eval.json"}
        }
    }
    arn = register(
        sm,
        group,
        ModelPackageDescription="abalone, 50 rounds",
        ModelMetrics=metrics,
        CustomerMetadataProperties={"rmse": "2.1", "dataset": "v3"},
        MetadataProperties={"CommitId": "4f2a9c1", "Repository": "git@example:ml.git"},
        Domain="MACHINE_LEARNING",
        Task="REGRESSION",
        SamplePayloadUrl="s3://m/sample.csv",
    )
    described = sm.describe_model_package(ModelPackageName=arn)
    assert described["ModelPackageArn"] == arn
    assert described["ModelPackageName"] == group
    assert described["ModelPackageGroupName"] == group
    assert described["ModelPackageVersion"] == 1
    assert described["ModelApprovalStatus"] == "PendingManualApproval"
    assert described["ModelPackageStatus"] == "Completed"
    assert described["ModelPackageStatusDetails"] == {
        "ValidationStatuses": [],
        "ImageScanStatuses": [],
    }
    assert described["InferenceSpecification"] == INFERENCE_SPECIFICATION
    assert described["ModelMetrics"] == metrics
    assert described["CustomerMetadataProperties"] == {"rmse": "2.1", "dataset": "v3"}
    assert described["MetadataProperties"]["CommitId"] == "4f2a9c1"
    assert described["ModelPackageDescription"] == "abalone, 50 rounds"
    assert (described["Domain"], described["Task"]) == ("MACHINE_LEARNING", "REGRESSION")
    assert described["SamplePayloadUrl"] == "s3://m/sample.csv"
    assert described["CertifyForMarketplace"] is False
    assert "IamIdentity" in described["CreatedBy"]
    assert "LastModifiedTime" not in described


def test_a_package_is_described_by_arn_or_by_group_and_version(sm: Any, group: str) -> None:
    arn = register(sm, group, ModelApprovalStatus="Approved")
    for reference in (arn, f"{group}/1", f"{group.upper()}/1"):
        assert sm.describe_model_package(ModelPackageName=reference)["ModelPackageArn"] == arn


def test_describing_a_missing_version_names_its_arn(
    sm: Any, group: str, cloud: RunningCloud
) -> None:
    register(sm, group)
    missing = f"{arn_prefix(cloud)}:model-package/{group.lower()}/7"
    code, message = error_of(sm.describe_model_package, ModelPackageName=missing)
    assert (code, message) == ("ValidationException", f"ModelPackage {missing} does not exist.")
    _, message = error_of(sm.describe_model_package, ModelPackageName=group)
    assert (
        message == f"ModelPackage {arn_prefix(cloud)}:model-package/{group.lower()} does not exist."
    )


def test_registering_into_a_missing_group_is_refused(sm: Any) -> None:
    code, message = error_of(
        sm.create_model_package,
        ModelPackageGroupName="never-created",
        InferenceSpecification=INFERENCE_SPECIFICATION,
    )
    assert (code, message) == ("ValidationException", "Model Package Group does not exist.")


def test_a_package_needs_exactly_one_of_group_and_name(sm: Any, group: str) -> None:
    _, message = error_of(
        sm.create_model_package, ModelPackageGroupName=group, ModelPackageName="x"
    )
    assert message.startswith("Both ModelPackageName and ModelPackageGroupName are provided")
    _, message = error_of(sm.create_model_package, InferenceSpecification=INFERENCE_SPECIFICATION)
    assert message.startswith("Missing ARN.")


def test_a_retried_registration_with_the_same_client_token_is_not_registered_twice(
    sm: Any, group: str
) -> None:
    first = register(sm, group, ClientToken="retry-1")
    assert register(sm, group, ClientToken="retry-1") == first
    assert register(sm, group, ClientToken="retry-2").endswith("/2")


def test_deleted_versions_are_not_reused(sm: Any, group: str) -> None:
    register(sm, group)
    second = register(sm, group)
    sm.delete_model_package(ModelPackageName=second)
    code, _ = error_of(sm.describe_model_package, ModelPackageName=second)
    assert code == "ValidationException"
    assert register(sm, group).endswith("/3")
    _, message = error_of(sm.delete_model_package, ModelPackageName=second)
    assert message.endswith("does not exist.")


# --- updates --------------------------------------------------------------------------------


def test_approval_is_recorded_with_who_and_when(sm: Any, group: str) -> None:
    arn = register(sm, group)
    before = sm.describe_model_package(ModelPackageName=arn)["CreationTime"]
    reply = sm.update_model_package(
        ModelPackageArn=arn, ModelApprovalStatus="Approved", ApprovalDescription="looks good"
    )
    assert reply["ModelPackageArn"] == arn
    described = sm.describe_model_package(ModelPackageName=arn)
    assert described["ModelApprovalStatus"] == "Approved"
    assert described["ApprovalDescription"] == "looks good"
    assert described["LastModifiedTime"] >= before
    assert "IamIdentity" in described["LastModifiedBy"]


def test_customer_metadata_is_merged_and_removed(sm: Any, group: str) -> None:
    arn = register(sm, group, CustomerMetadataProperties={"a": "1", "b": "2"})
    sm.update_model_package(
        ModelPackageArn=arn,
        CustomerMetadataProperties={"b": "20", "c": "3"},
        CustomerMetadataPropertiesToRemove=["a", "not-there"],
    )
    described = sm.describe_model_package(ModelPackageName=arn)
    assert described["CustomerMetadataProperties"] == {"b": "20", "c": "3"}
    sm.update_model_package(ModelPackageArn=arn, CustomerMetadataPropertiesToRemove=["b", "c"])
    assert "CustomerMetadataProperties" not in sm.describe_model_package(ModelPackageName=arn)
    _, message = error_of(
        sm.update_model_package,
        ModelPackageArn=arn,
        CustomerMetadataProperties={"k": "v"},
        CustomerMetadataPropertiesToRemove=["k"],
    )
    assert "a key can be set or removed, not both" in message


def test_inference_specifications_are_added_up_to_fifteen(sm: Any, group: str) -> None:
    arn = register(sm, group)
    extra = {"Name": "gpu", "Containers": [{"Image": "img:gpu"}]}
    sm.update_model_package(ModelPackageArn=arn, AdditionalInferenceSpecificationsToAdd=[extra])
    described = sm.describe_model_package(ModelPackageName=arn)
    assert described["AdditionalInferenceSpecifications"] == [extra]
    many = [{"Name": f"s{i}", "Containers": [{"Image": "img"}]} for i in range(15)]
    _, message = error_of(
        sm.update_model_package, ModelPackageArn=arn, AdditionalInferenceSpecificationsToAdd=many
    )
    assert "at most 15 AdditionalInferenceSpecifications; this update would make 16" in message


def test_updating_a_missing_package_is_refused(sm: Any, group: str, cloud: RunningCloud) -> None:
    missing = f"{arn_prefix(cloud)}:model-package/{group.lower()}/99"
    _, message = error_of(
        sm.update_model_package, ModelPackageArn=missing, ModelApprovalStatus="Approved"
    )
    assert message == f"ModelPackage {missing} does not exist."
    not_a_version = f"{arn_prefix(cloud)}:model-package/{group.lower()}/latest"
    _, message = error_of(sm.update_model_package, ModelPackageArn=not_a_version)
    assert message == f"'{not_a_version}' does not name a model package version"


# --- unversioned packages -------------------------------------------------------------------


def test_unversioned_packages_live_by_name(sm: Any, cloud: RunningCloud) -> None:
    name = unique("Marketplace")
    arn = sm.create_model_package(
        ModelPackageName=name, InferenceSpecification=INFERENCE_SPECIFICATION
    )["ModelPackageArn"]
    assert arn == f"{arn_prefix(cloud)}:model-package/{name.lower()}"
    described = sm.describe_model_package(ModelPackageName=name)
    assert described["ModelPackageName"] == name
    assert "ModelPackageVersion" not in described and "ModelApprovalStatus" not in described
    assert sm.describe_model_package(ModelPackageName=arn)["ModelPackageArn"] == arn
    _, message = error_of(
        sm.create_model_package,
        ModelPackageName=name,
        InferenceSpecification=INFERENCE_SPECIFICATION,
    )
    assert message == f'Cannot create already existing model package "{arn}".'
    _, message = error_of(
        sm.update_model_package, ModelPackageArn=arn, ModelApprovalStatus="Approved"
    )
    assert "applies only to versioned model packages" in message
    sm.delete_model_package(ModelPackageName=name)
    code, _ = error_of(sm.describe_model_package, ModelPackageName=name)
    assert code == "ValidationException"
