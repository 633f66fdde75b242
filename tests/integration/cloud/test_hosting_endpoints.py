"""Endpoints with boto3: create / describe / list / update / weights and capacities / delete,
their status transitions and every error they answer."""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta

import numpy as np
import pytest
from botocore.exceptions import ClientError

from tests.conftest import RunningCloud
from tests.integration.cloud.hosting_support import (
    abalone_model,
    config_for,
    create_config,
    create_model,
    endpoint,
    invoke,
    predictions,
    tarball_of,
    upload,
    variant,
)
from tests.integration.cloud.sagemaker_support import unique


def test_create_endpoint_is_in_service_when_it_returns(cloud: RunningCloud) -> None:
    model = abalone_model()
    sagemaker = cloud.client("sagemaker")
    config = config_for(cloud, model, count=2)
    started = time.time()
    with endpoint(cloud, config, Tags=[{"Key": "team", "Value": "ml"}]) as name:
        described = sagemaker.describe_endpoint(EndpointName=name)
        assert described["EndpointStatus"] == "InService"
        assert "FailureReason" not in described
        assert described["EndpointConfigName"] == config
        assert described["EndpointArn"].endswith(f":endpoint/{name.lower()}")
        assert described["CreationTime"].timestamp() >= started - 1
        assert described["LastModifiedTime"] >= described["CreationTime"]
        (summary,) = described["ProductionVariants"]
        assert summary["VariantName"] == "AllTraffic"
        assert summary["CurrentWeight"] == summary["DesiredWeight"] == 1.0
        assert summary["CurrentInstanceCount"] == summary["DesiredInstanceCount"] == 2
        assert summary["DeployedImages"][0]["SpecifiedImage"].endswith("sagemaker-xgboost:1.7-1")
        tags = sagemaker.list_tags(ResourceArn=described["EndpointArn"])["Tags"]
        assert tags == [{"Key": "team", "Value": "ml"}]
        rows = model.features[:3]
        assert np.allclose(predictions(invoke(cloud, name, model.csv(rows))), model.predict(rows))
    with pytest.raises(ClientError, match="Could not find endpoint"):
        sagemaker.describe_endpoint(EndpointName=name)


def test_the_endpoint_keeps_serving_after_its_model_and_config_are_deleted(
    cloud: RunningCloud,
) -> None:
    model = abalone_model()
    sagemaker = cloud.client("sagemaker")
    model_name = create_model(cloud, upload(cloud, model.tarball))
    config = create_config(cloud, variant(model_name))
    with endpoint(cloud, config) as name:
        sagemaker.delete_endpoint_config(EndpointConfigName=config)
        sagemaker.delete_model(ModelName=model_name)
        rows = model.features[10:12]
        assert np.allclose(predictions(invoke(cloud, name, model.csv(rows))), model.predict(rows))
        assert sagemaker.describe_endpoint(EndpointName=name)["EndpointStatus"] == "InService"


def test_update_endpoint_switches_to_the_new_model(cloud: RunningCloud) -> None:
    first, second = abalone_model(30), abalone_model(5)
    sagemaker = cloud.client("sagemaker")
    rows = first.features[:4]
    with endpoint(cloud, config_for(cloud, first)) as name:
        assert np.allclose(predictions(invoke(cloud, name, first.csv(rows))), first.predict(rows))
        new_config = config_for(cloud, second)
        reply = sagemaker.update_endpoint(EndpointName=name, EndpointConfigName=new_config)
        assert reply["EndpointArn"].endswith(f"/{name.lower()}")
        described = sagemaker.describe_endpoint(EndpointName=name)
        assert described["EndpointStatus"] == "InService"
        assert described["EndpointConfigName"] == new_config
        assert "PendingDeploymentSummary" not in described
        assert np.allclose(predictions(invoke(cloud, name, first.csv(rows))), second.predict(rows))


def test_update_keeps_current_weights_and_counts_when_asked_to(cloud: RunningCloud) -> None:
    model = abalone_model()
    sagemaker = cloud.client("sagemaker")
    with endpoint(cloud, config_for(cloud, model)) as name:
        sagemaker.update_endpoint_weights_and_capacities(
            EndpointName=name,
            DesiredWeightsAndCapacities=[{"VariantName": "AllTraffic", "DesiredWeight": 3.0}],
        )
        sagemaker.update_endpoint(
            EndpointName=name,
            EndpointConfigName=config_for(cloud, model, count=2),
            RetainAllVariantProperties=True,
            ExcludeRetainedVariantProperties=[{"VariantPropertyType": "DesiredInstanceCount"}],
        )
        (summary,) = sagemaker.describe_endpoint(EndpointName=name)["ProductionVariants"]
        assert summary["DesiredWeight"] == 3.0  # retained
        assert summary["DesiredInstanceCount"] == 2  # from the new configuration


def test_weights_and_capacities_change_without_a_redeploy(cloud: RunningCloud) -> None:
    model = abalone_model()
    sagemaker = cloud.client("sagemaker")
    with endpoint(cloud, config_for(cloud, model)) as name:
        sagemaker.update_endpoint_weights_and_capacities(
            EndpointName=name,
            DesiredWeightsAndCapacities=[
                {"VariantName": "AllTraffic", "DesiredWeight": 0.5, "DesiredInstanceCount": 2}
            ],
        )
        described = sagemaker.describe_endpoint(EndpointName=name)
        assert described["EndpointStatus"] == "InService"
        (summary,) = described["ProductionVariants"]
        assert (summary["CurrentWeight"], summary["CurrentInstanceCount"]) == (0.5, 2)
        sagemaker.update_endpoint_weights_and_capacities(
            EndpointName=name,
            DesiredWeightsAndCapacities=[{"VariantName": "AllTraffic", "DesiredInstanceCount": 1}],
        )
        (summary,) = sagemaker.describe_endpoint(EndpointName=name)["ProductionVariants"]
        assert summary["CurrentInstanceCount"] == 1
        rows = model.features[:2]
        assert np.allclose(predictions(invoke(cloud, name, model.csv(rows))), model.predict(rows))


def test_list_endpoints_filters_sorts_and_pages(cloud: RunningCloud) -> None:
    model = abalone_model()
    sagemaker = cloud.client("sagemaker")
    marker = unique("listed")
    config = config_for(cloud, model)
    names = [f"{marker}-{suffix}" for suffix in ("b", "a", "c")]
    for name in names:
        sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=config)
    try:
        listed = sagemaker.list_endpoints(NameContains=marker, SortBy="Name", SortOrder="Ascending")
        assert [e["EndpointName"] for e in listed["Endpoints"]] == sorted(names)
        assert {e["EndpointStatus"] for e in listed["Endpoints"]} == {"InService"}
        newest = sagemaker.list_endpoints(NameContains=marker)["Endpoints"]
        assert [e["EndpointName"] for e in newest] == names[::-1]  # CreationTime, Descending
        pages = sagemaker.get_paginator("list_endpoints").paginate(
            NameContains=marker, PaginationConfig={"PageSize": 2}
        )
        assert [len(page["Endpoints"]) for page in pages] == [2, 1]
        failed = sagemaker.list_endpoints(NameContains=marker, StatusEquals="Failed")
        assert failed["Endpoints"] == []
        modified = newest[0]["LastModifiedTime"]
        later = sagemaker.list_endpoints(
            NameContains=marker, LastModifiedTimeAfter=modified + timedelta(seconds=2)
        )
        assert later["Endpoints"] == []
        earlier = sagemaker.list_endpoints(
            NameContains=marker, LastModifiedTimeBefore=modified + timedelta(seconds=2)
        )
        assert len(earlier["Endpoints"]) == 3
    finally:
        for name in names:
            sagemaker.delete_endpoint(EndpointName=name)


def test_an_image_other_than_xgboost_fails_the_endpoint(cloud: RunningCloud) -> None:
    model_name = create_model(
        cloud,
        upload(cloud, abalone_model().tarball),
        image="123.dkr.ecr.us-east-1.amazonaws.com/my-torch:2",
    )
    with endpoint(cloud, create_config(cloud, variant(model_name))) as name:
        described = cloud.client("sagemaker").describe_endpoint(EndpointName=name)
        assert described["EndpointStatus"] == "Failed"
        assert "my-torch:2" in described["FailureReason"]
        assert "is not a 'sagemaker-xgboost' image" in described["FailureReason"]
        assert "ProductionVariants" not in described
        with pytest.raises(ClientError, match=r"Cannot update endpoint .* in status Failed"):
            cloud.client("sagemaker").update_endpoint(
                EndpointName=name, EndpointConfigName=config_for(cloud, abalone_model())
            )


def test_a_missing_artifact_fails_the_endpoint_with_the_url(cloud: RunningCloud) -> None:
    missing = upload(cloud, b"x").replace("model.tar.gz", "missing.tar.gz")
    with endpoint(cloud, create_config(cloud, variant(create_model(cloud, missing)))) as name:
        described = cloud.client("sagemaker").describe_endpoint(EndpointName=name)
        assert described["EndpointStatus"] == "Failed"
        assert (
            f'Failed to download model data for container "container_1" from URL: "{missing}"'
            in (described["FailureReason"])
        )


def test_an_archive_escaping_its_folder_fails_the_endpoint(cloud: RunningCloud) -> None:
    hostile = tarball_of(b"not a model", name="../../escaped")
    with endpoint(cloud, config_for(cloud, hostile)) as name:
        described = cloud.client("sagemaker").describe_endpoint(EndpointName=name)
        assert described["EndpointStatus"] == "Failed"
        assert "points outside the archive" in described["FailureReason"]


def test_endpoint_errors_are_sagemakers(cloud: RunningCloud) -> None:
    sagemaker = cloud.client("sagemaker")
    config = config_for(cloud, abalone_model())
    arn_prefix = f"arn:aws:sagemaker:{cloud.region}:{cloud.account_id}"
    for call in (
        lambda: sagemaker.describe_endpoint(EndpointName="no-such-endpoint"),
        lambda: sagemaker.delete_endpoint(EndpointName="no-such-endpoint"),
        lambda: sagemaker.update_endpoint(
            EndpointName="no-such-endpoint", EndpointConfigName=config
        ),
    ):
        with pytest.raises(
            ClientError, match=f'Could not find endpoint "{arn_prefix}:endpoint/no-such-endpoint"'
        ):
            call()
    with pytest.raises(ClientError, match=r'Could not find endpoint configuration ".*/nope"'):
        sagemaker.create_endpoint(EndpointName=unique("e"), EndpointConfigName="nope")
    with endpoint(cloud, config) as name:
        with pytest.raises(ClientError, match="Cannot create already existing endpoint") as raised:
            sagemaker.create_endpoint(EndpointName=name.upper(), EndpointConfigName=config)
        assert raised.value.response["Error"]["Code"] == "ValidationException"
        with pytest.raises(ClientError, match=r'Could not find endpoint configuration ".*/nope"'):
            sagemaker.update_endpoint(EndpointName=name, EndpointConfigName="nope")
        with pytest.raises(
            ClientError, match=r'The variant\(s\) "\[\'Blue\'\]" is/are not present'
        ):
            sagemaker.update_endpoint_weights_and_capacities(
                EndpointName=name,
                DesiredWeightsAndCapacities=[{"VariantName": "Blue", "DesiredWeight": 1.0}],
            )
        with pytest.raises(ClientError, match="DesiredInstanceCount must be at least 1"):
            sagemaker.update_endpoint_weights_and_capacities(
                EndpointName=name,
                DesiredWeightsAndCapacities=[
                    {"VariantName": "AllTraffic", "DesiredInstanceCount": 0}
                ],
            )
        with pytest.raises(ClientError, match="give DesiredWeight or DesiredInstanceCount"):
            sagemaker.update_endpoint_weights_and_capacities(
                EndpointName=name, DesiredWeightsAndCapacities=[{"VariantName": "AllTraffic"}]
            )
        assert sagemaker.describe_endpoint(EndpointName=name)["EndpointStatus"] == "InService"


def test_shadow_variants_are_refused_by_name(cloud: RunningCloud) -> None:
    model_name = create_model(cloud, upload(cloud, abalone_model().tarball))
    config = unique("shadowed")
    sagemaker = cloud.client("sagemaker")
    sagemaker.create_endpoint_config(
        EndpointConfigName=config,
        ProductionVariants=[variant(model_name)],
        ShadowProductionVariants=[variant(model_name, "Shadow")],
    )
    with pytest.raises(ClientError, match="mlci cloud does not serve ShadowProductionVariants"):
        sagemaker.create_endpoint(EndpointName=unique("e"), EndpointConfigName=config)


def test_a_second_update_while_one_is_in_progress_is_refused(cloud: RunningCloud) -> None:
    model = abalone_model()
    sagemaker = cloud.client("sagemaker")
    refusals = []
    with endpoint(cloud, config_for(cloud, model)) as name:
        # A resize takes a fraction of a second; try until a second call lands inside one.
        for attempt in range(10):
            count = 2 if attempt % 2 == 0 else 1
            resize = threading.Thread(
                target=sagemaker.update_endpoint_weights_and_capacities,
                kwargs={
                    "EndpointName": name,
                    "DesiredWeightsAndCapacities": [
                        {"VariantName": "AllTraffic", "DesiredInstanceCount": count}
                    ],
                },
            )
            resize.start()
            while sagemaker.describe_endpoint(EndpointName=name)["EndpointStatus"] != "Updating":
                if not resize.is_alive():
                    break
            try:
                sagemaker.update_endpoint_weights_and_capacities(
                    EndpointName=name,
                    DesiredWeightsAndCapacities=[
                        {"VariantName": "AllTraffic", "DesiredWeight": 2.0}
                    ],
                )
            except ClientError as error:
                refusals.append(error.response["Error"]["Message"])
            resize.join()
            if refusals:
                break
        assert refusals and re.fullmatch(r'Cannot update in-progress endpoint ".*"\.', refusals[0])
        assert sagemaker.describe_endpoint(EndpointName=name)["EndpointStatus"] == "InService"


def test_an_endpoint_name_can_be_used_again_after_delete(cloud: RunningCloud) -> None:
    first, second = abalone_model(30), abalone_model(5)
    sagemaker = cloud.client("sagemaker")
    name = unique("reused")
    rows = first.features[:2]
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=config_for(cloud, first))
    sagemaker.delete_endpoint(EndpointName=name)
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=config_for(cloud, second))
    try:
        assert sagemaker.describe_endpoint(EndpointName=name)["EndpointStatus"] == "InService"
        assert np.allclose(predictions(invoke(cloud, name, first.csv(rows))), second.predict(rows))
    finally:
        sagemaker.delete_endpoint(EndpointName=name)
