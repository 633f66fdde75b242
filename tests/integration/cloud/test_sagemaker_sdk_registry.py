"""The SageMaker Python SDK's registry calls: Model.register, ModelPackage, approval."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from tests.conftest import RunningCloud
from tests.integration.cloud.sagemaker_support import ROLE_ARN, unique


@pytest.fixture
def session(cloud: RunningCloud, monkeypatch: pytest.MonkeyPatch) -> Any:
    import sagemaker

    for name, value in cloud.env().items():
        monkeypatch.setenv(name, value)
    boto_session = boto3.Session(region_name=cloud.region)
    return sagemaker.Session(boto_session=boto_session, default_bucket="sdk-bucket")


def test_a_model_registered_with_the_sdk_is_approved_and_deployable(session: Any) -> None:
    from sagemaker import ModelPackage
    from sagemaker.model import Model

    sm = session.sagemaker_client
    group = unique("sdk-group")
    sm.create_model_package_group(ModelPackageGroupName=group)
    model = Model(
        image_uri="sagemaker-xgboost:1.7-1",
        model_data="s3://sdk-bucket/model.tar.gz",
        role=ROLE_ARN,
        sagemaker_session=session,
    )
    registered = model.register(
        content_types=["text/csv"],
        response_types=["text/csv"],
        inference_instances=["ml.m5.large"],
        transform_instances=["ml.m5.large"],
        model_package_group_name=group,
        approval_status="PendingManualApproval",
        customer_metadata_properties={"commit": "4f2a9c1"},
    )
    arn = registered.model_package_arn
    assert arn.endswith(f"/{group.lower()}/1")
    described = sm.describe_model_package(ModelPackageName=arn)
    assert described["CustomerMetadataProperties"] == {"commit": "4f2a9c1"}
    container = described["InferenceSpecification"]["Containers"][0]
    assert container["ModelDataUrl"] == "s3://sdk-bucket/model.tar.gz"

    package = ModelPackage(role=ROLE_ARN, model_package_arn=arn, sagemaker_session=session)
    package.update_approval_status("Approved", approval_description="reviewed")
    newest = sm.list_model_packages(
        ModelPackageGroupName=group,
        ModelApprovalStatus="Approved",
        SortBy="CreationTime",
        SortOrder="Descending",
        MaxResults=1,
    )["ModelPackageSummaryList"]
    assert [p["ModelPackageArn"] for p in newest] == [arn]

    # what ModelPackage.deploy() does before CreateEndpoint (which is not part of this suite)
    package.name = unique("sdk-model")
    package._create_sagemaker_model(instance_type="ml.m5.large")
    containers = sm.describe_model(ModelName=package.name)["Containers"]
    assert containers == [{"ModelPackageName": arn}]
