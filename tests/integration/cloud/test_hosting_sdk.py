"""The SageMaker Python SDK (2.x) against mlci cloud's endpoints: the article's flow from a
registered, approved model package to an endpoint and an update to the next package, and
`Model.deploy` with the XGBoost image the SDK itself resolves; `Predictor.predict` with the
CSV serializer, checked against the boosters."""

from __future__ import annotations

from typing import Any

import boto3
import numpy as np
import pytest

from tests.conftest import RunningCloud
from tests.integration.cloud.hosting_support import TrainedModel, abalone_model, churn_model, upload
from tests.integration.cloud.sagemaker_support import ROLE_ARN, unique


@pytest.fixture
def session(cloud: RunningCloud, monkeypatch: pytest.MonkeyPatch) -> Any:
    import sagemaker

    for name, value in cloud.env().items():
        monkeypatch.setenv(name, value)
    return sagemaker.Session(
        boto_session=boto3.Session(region_name=cloud.region),
        sagemaker_client=cloud.client("sagemaker"),
        sagemaker_runtime_client=cloud.client("sagemaker-runtime"),
        default_bucket="sdk-hosting",
    )


def _register(cloud: RunningCloud, session: Any, group: str, model: TrainedModel) -> str:
    from sagemaker import image_uris

    image = image_uris.retrieve("xgboost", cloud.region, "1.7-1")
    reply = session.sagemaker_client.create_model_package(
        ModelPackageGroupName=group,
        ModelApprovalStatus="Approved",
        InferenceSpecification={
            "Containers": [{"Image": image, "ModelDataUrl": upload(cloud, model.tarball)}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )
    return str(reply["ModelPackageArn"])


def _predict(predictor: Any, rows: np.ndarray) -> np.ndarray:
    answer = predictor.predict(rows)
    return np.array([float(v) for v in answer.decode().split()])


def test_the_articles_deploy_flow_from_package_to_updated_endpoint(
    cloud: RunningCloud, session: Any
) -> None:
    from sagemaker import ModelPackage
    from sagemaker.predictor import Predictor
    from sagemaker.serializers import CSVSerializer

    first, second = churn_model(20), churn_model(3)
    sm = session.sagemaker_client
    group = unique("churn")
    sm.create_model_package_group(ModelPackageGroupName=group)
    first_arn = _register(cloud, session, group, first)
    endpoint = unique("churn-endpoint")
    # wait=False: the SDK's waiter sleeps 30 s before its first DescribeEndpoint; CreateEndpoint
    # returns once the endpoint is InService, so that first poll would see it ready anyway.
    ModelPackage(role=ROLE_ARN, model_package_arn=first_arn, sagemaker_session=session).deploy(
        initial_instance_count=1, instance_type="ml.m5.large", endpoint_name=endpoint, wait=False
    )
    assert sm.describe_endpoint(EndpointName=endpoint)["EndpointStatus"] == "InService"
    predictor = Predictor(endpoint, sagemaker_session=session, serializer=CSVSerializer())
    rows = first.features[:25]
    try:
        assert np.allclose(_predict(predictor, rows), first.predict(rows), rtol=1e-6)

        # deploy.py: the latest approved package -> model -> endpoint config -> update_endpoint
        _register(cloud, session, group, second)
        latest = sm.list_model_packages(
            ModelPackageGroupName=group,
            ModelApprovalStatus="Approved",
            SortBy="CreationTime",
            SortOrder="Descending",
        )["ModelPackageSummaryList"][0]["ModelPackageArn"]
        model_name = unique("churn-model")
        sm.create_model(
            ModelName=model_name,
            ExecutionRoleArn=ROLE_ARN,
            Containers=[{"ModelPackageName": latest}],
        )
        sm.create_endpoint_config(
            EndpointConfigName=model_name,
            ProductionVariants=[
                {
                    "InstanceType": "ml.m5.large",
                    "InitialVariantWeight": 1,
                    "InitialInstanceCount": 1,
                    "ModelName": model_name,
                    "VariantName": "AllTraffic",
                }
            ],
        )
        sm.update_endpoint(EndpointName=endpoint, EndpointConfigName=model_name)
        described = session.wait_for_endpoint(endpoint, poll=0.1)
        assert (described["EndpointStatus"], described["EndpointConfigName"]) == (
            "InService",
            model_name,
        )
        assert np.allclose(_predict(predictor, rows), second.predict(rows), rtol=1e-6)
    finally:
        predictor.delete_endpoint(delete_endpoint_config=False)


def test_model_deploy_with_the_sdks_xgboost_image(cloud: RunningCloud, session: Any) -> None:
    from sagemaker import image_uris
    from sagemaker.model import Model
    from sagemaker.predictor import Predictor
    from sagemaker.serializers import CSVSerializer

    trained = abalone_model()
    model = Model(
        image_uri=image_uris.retrieve("xgboost", cloud.region, "1.7-1"),
        model_data=upload(cloud, trained.tarball),
        role=ROLE_ARN,
        sagemaker_session=session,
        predictor_cls=Predictor,
    )
    predictor = model.deploy(
        initial_instance_count=1,
        instance_type="ml.m5.large",
        endpoint_name=unique("abalone-sdk"),
        serializer=CSVSerializer(),
        wait=False,
    )
    assert (
        session.wait_for_endpoint(predictor.endpoint_name, poll=0.1)["EndpointStatus"]
        == "InService"
    )
    try:
        rows = trained.features[:10]
        assert np.allclose(_predict(predictor, rows), trained.predict(rows), rtol=1e-6)
    finally:
        predictor.delete_endpoint()
