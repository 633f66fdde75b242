"""Models and endpoint configurations through boto3."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import RunningCloud
from tests.integration.cloud.sagemaker_support import INFERENCE_SPECIFICATION, ROLE_ARN, unique

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


@pytest.fixture(scope="module")
def package_arn(sm: Any) -> str:
    group = unique("Hosting")
    sm.create_model_package_group(ModelPackageGroupName=group)
    reply = sm.create_model_package(
        ModelPackageGroupName=group, InferenceSpecification=INFERENCE_SPECIFICATION
    )
    return str(reply["ModelPackageArn"])


def image_model(sm: Any, name: str | None = None, **extra: Any) -> str:
    name = name or unique("model")
    sm.create_model(
        ModelName=name,
        PrimaryContainer={"Image": IMAGE, "ModelDataUrl": "s3://m/model.tar.gz"},
        ExecutionRoleArn=ROLE_ARN,
        **extra,
    )
    return name


def variant(model: str, name: str = "AllTraffic", **extra: Any) -> dict[str, Any]:
    return {
        "VariantName": name,
        "ModelName": model,
        "InitialInstanceCount": 1,
        "InstanceType": "ml.m5.large",
        **extra,
    }


def message_of(call: Any, **params: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**params)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    return str(caught.value.response["Error"]["Message"])


def arn_prefix(cloud: RunningCloud) -> str:
    return f"arn:aws:sagemaker:{cloud.region}:{cloud.account_id}"


# --- models ---------------------------------------------------------------------------------


def test_an_image_model_is_described_as_sagemaker_does(sm: Any, cloud: RunningCloud) -> None:
    name = unique("Churn-Model")
    arn = sm.create_model(
        ModelName=name,
        PrimaryContainer={"Image": IMAGE, "ModelDataUrl": "s3://m/model.tar.gz"},
        ExecutionRoleArn=ROLE_ARN,
    )["ModelArn"]
    assert arn == f"{arn_prefix(cloud)}:model/{name.lower()}"
    described = sm.describe_model(ModelName=name)
    assert described["ModelName"] == name
    assert described["ModelArn"] == arn
    assert described["PrimaryContainer"] == {
        "Image": IMAGE,
        "ModelDataUrl": "s3://m/model.tar.gz",
        "Mode": "SingleModel",
        "Environment": {},
    }
    assert described["ExecutionRoleArn"] == ROLE_ARN
    assert described["EnableNetworkIsolation"] is False
    assert "Containers" not in described


def test_a_model_from_a_registered_package_refers_to_its_arn(sm: Any, package_arn: str) -> None:
    group_and_version = package_arn.split("model-package/")[1]
    for reference in (package_arn, group_and_version):
        name = unique("from-package")
        sm.create_model(
            ModelName=name,
            PrimaryContainer={"ModelPackageName": reference},
            ExecutionRoleArn=ROLE_ARN,
        )
        container = sm.describe_model(ModelName=name)["PrimaryContainer"]
        assert container == {"ModelPackageName": package_arn}


def test_a_model_from_a_missing_package_is_refused(sm: Any, package_arn: str) -> None:
    missing = package_arn.rsplit("/", 1)[0] + "/999"
    message = message_of(
        sm.create_model,
        ModelName=unique("m"),
        PrimaryContainer={"ModelPackageName": missing},
        ExecutionRoleArn=ROLE_ARN,
    )
    assert message == f"ModelPackage {missing} does not exist."


def test_a_model_survives_the_deletion_of_its_package(sm: Any) -> None:
    group = unique("Short-Lived")
    sm.create_model_package_group(ModelPackageGroupName=group)
    arn = sm.create_model_package(
        ModelPackageGroupName=group, InferenceSpecification=INFERENCE_SPECIFICATION
    )["ModelPackageArn"]
    name = unique("kept")
    sm.create_model(ModelName=name, PrimaryContainer={"ModelPackageName": arn})
    sm.delete_model_package(ModelPackageName=arn)
    assert sm.describe_model(ModelName=name)["PrimaryContainer"]["ModelPackageName"] == arn


def test_several_containers_form_a_pipeline_model(sm: Any, package_arn: str) -> None:
    name = unique("pipeline")
    containers = [
        {"Image": IMAGE, "Environment": {"STAGE": "pre"}},
        {"ModelPackageName": package_arn},
    ]
    sm.create_model(ModelName=name, Containers=containers, ExecutionRoleArn=ROLE_ARN)
    described = sm.describe_model(ModelName=name)
    assert [c.get("Image") for c in described["Containers"]] == [IMAGE, None]
    assert described["Containers"][0]["Environment"] == {"STAGE": "pre"}
    assert "PrimaryContainer" not in described


@pytest.mark.parametrize(
    ("containers", "expected"),
    [
        ({}, "Either PrimaryContainer or Containers must be specified."),
        (
            {"PrimaryContainer": {"Image": IMAGE}, "Containers": [{"Image": IMAGE}]},
            "Specify PrimaryContainer or Containers, not both.",
        ),
        (
            {"PrimaryContainer": {"ModelDataUrl": "s3://m/x.tar.gz"}},
            "PrimaryContainer.Image is required unless PrimaryContainer.ModelPackageName is given",
        ),
        (
            {"Containers": [{"Image": IMAGE}, {"Environment": {}}]},
            "Containers[1].Image is required unless Containers[1].ModelPackageName is given",
        ),
    ],
)
def test_a_model_needs_well_formed_containers(
    sm: Any, containers: dict[str, Any], expected: str
) -> None:
    assert message_of(sm.create_model, ModelName=unique("bad"), **containers) == expected


def test_a_container_gives_an_image_or_a_package_not_both(sm: Any, package_arn: str) -> None:
    message = message_of(
        sm.create_model,
        ModelName=unique("both"),
        PrimaryContainer={"Image": IMAGE, "ModelPackageName": package_arn},
    )
    assert message == "PrimaryContainer: give Image or ModelPackageName, not both"


def test_model_names_are_unique_whatever_their_case(sm: Any, cloud: RunningCloud) -> None:
    name = image_model(sm, unique("Dup"))
    message = message_of(sm.create_model, ModelName=name.upper(), PrimaryContainer={"Image": IMAGE})
    assert (
        message
        == f'Cannot create already existing model "{arn_prefix(cloud)}:model/{name.lower()}".'
    )


def test_a_missing_model_cannot_be_described_or_deleted(sm: Any, cloud: RunningCloud) -> None:
    expected = f'Could not find model "{arn_prefix(cloud)}:model/ghost".'
    assert message_of(sm.describe_model, ModelName="ghost") == expected
    assert message_of(sm.delete_model, ModelName="ghost") == expected


@pytest.mark.parametrize("order", ["Ascending", "Descending"])
@pytest.mark.parametrize("sort_by", ["Name", "CreationTime"])
def test_models_list_sorted_and_paged(sm: Any, sort_by: str, order: str) -> None:
    tag = unique("lm")
    created = [image_model(sm, f"{tag}-{suffix}") for suffix in ("b", "c", "a")]
    listed, token = [], None
    while True:
        page = sm.list_models(
            NameContains=tag,
            SortBy=sort_by,
            SortOrder=order,
            MaxResults=2,
            **({"NextToken": token} if token else {}),
        )
        listed += [m["ModelName"] for m in page["Models"]]
        token = page.get("NextToken")
        if not token:
            break
    expected = sorted(created) if sort_by == "Name" else created
    assert listed == (expected if order == "Ascending" else expected[::-1])


def test_models_list_newest_first_by_default_and_delete(sm: Any) -> None:
    tag = unique("ld")
    first, second = image_model(sm, f"{tag}-1"), image_model(sm, f"{tag}-2")
    listed = sm.list_models(NameContains=tag)["Models"]
    assert [m["ModelName"] for m in listed] == [second, first]
    assert set(listed[0]) == {"ModelName", "ModelArn", "CreationTime"}
    after = sm.list_models(NameContains=tag, CreationTimeAfter=listed[1]["CreationTime"])
    assert {m["ModelName"] for m in after["Models"]} >= {second}
    sm.delete_model(ModelName=first)
    assert [m["ModelName"] for m in sm.list_models(NameContains=tag)["Models"]] == [second]


# --- endpoint configurations ----------------------------------------------------------------


def test_an_endpoint_config_fills_in_variant_weights(sm: Any, cloud: RunningCloud) -> None:
    model = image_model(sm)
    name = unique("Blue-Green")
    arn = sm.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            variant(model, "blue"),
            variant(model, "green", InitialVariantWeight=3.0),
        ],
    )["EndpointConfigArn"]
    assert arn == f"{arn_prefix(cloud)}:endpoint-config/{name.lower()}"
    described = sm.describe_endpoint_config(EndpointConfigName=name)
    assert described["EndpointConfigName"] == name
    assert described["EndpointConfigArn"] == arn
    assert [
        (v["VariantName"], v["InitialVariantWeight"]) for v in described["ProductionVariants"]
    ] == [
        ("blue", 1.0),
        ("green", 3.0),
    ]
    assert described["ProductionVariants"][0]["InstanceType"] == "ml.m5.large"
    assert described["ProductionVariants"][0]["InitialInstanceCount"] == 1


def test_a_serverless_variant_needs_no_instances(sm: Any) -> None:
    model = image_model(sm)
    name = unique("serverless")
    serverless = {
        "VariantName": "AllTraffic",
        "ModelName": model,
        "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5},
    }
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[serverless])
    stored = sm.describe_endpoint_config(EndpointConfigName=name)["ProductionVariants"][0]
    assert stored["ServerlessConfig"] == {"MemorySizeInMB": 2048, "MaxConcurrency": 5}


def test_an_endpoint_config_needs_existing_models(sm: Any, cloud: RunningCloud) -> None:
    message = message_of(
        sm.create_endpoint_config,
        EndpointConfigName=unique("orphan"),
        ProductionVariants=[variant("no-such-model")],
    )
    assert message == f'Could not find model "{arn_prefix(cloud)}:model/no-such-model".'


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"InstanceType": None}, "ProductionVariants[0].InstanceType is required"),
        ({"InitialInstanceCount": None}, "ProductionVariants[0].InitialInstanceCount is required"),
        ({"ModelName": None}, "ProductionVariants[0].ModelName is required"),
    ],
)
def test_a_variant_needs_model_and_instances(
    sm: Any, change: dict[str, Any], expected: str
) -> None:
    broken = {k: v for k, v in {**variant(image_model(sm)), **change}.items() if v is not None}
    message = message_of(
        sm.create_endpoint_config, EndpointConfigName=unique("ec"), ProductionVariants=[broken]
    )
    assert message.startswith(expected)


def test_variant_names_are_unique_within_a_config(sm: Any) -> None:
    model = image_model(sm)
    message = message_of(
        sm.create_endpoint_config,
        EndpointConfigName=unique("ec"),
        ProductionVariants=[variant(model, "v"), variant(model, "v")],
    )
    assert message == "VariantName 'v' is used by more than one variant; names must be unique."


def test_shadow_variants_are_checked_like_production_ones(sm: Any, cloud: RunningCloud) -> None:
    model, name = image_model(sm), unique("shadow")
    sm.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[variant(model, "live")],
        ShadowProductionVariants=[variant(model, "candidate", InitialVariantWeight=0.5)],
    )
    described = sm.describe_endpoint_config(EndpointConfigName=name)
    shadow = described["ShadowProductionVariants"]
    assert [(v["VariantName"], v["InitialVariantWeight"]) for v in shadow] == [("candidate", 0.5)]
    message = message_of(
        sm.create_endpoint_config,
        EndpointConfigName=unique("shadow"),
        ProductionVariants=[variant(model, "live")],
        ShadowProductionVariants=[variant(model, "live")],
    )
    assert message.startswith("VariantName 'live' is used by more than one variant")
    message = message_of(
        sm.create_endpoint_config,
        EndpointConfigName=unique("shadow"),
        ProductionVariants=[variant(model, "live")],
        ShadowProductionVariants=[variant("missing-shadow-model", "candidate")],
    )
    assert message == f'Could not find model "{arn_prefix(cloud)}:model/missing-shadow-model".'


def test_endpoint_config_names_are_unique(sm: Any, cloud: RunningCloud) -> None:
    model, name = image_model(sm), unique("EC")
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[variant(model)])
    message = message_of(
        sm.create_endpoint_config, EndpointConfigName=name, ProductionVariants=[variant(model)]
    )
    arn = f"{arn_prefix(cloud)}:endpoint-config/{name.lower()}"
    assert message == f'Cannot create already existing endpoint configuration "{arn}".'


def test_a_missing_endpoint_config_cannot_be_described_or_deleted(
    sm: Any, cloud: RunningCloud
) -> None:
    expected = f'Could not find endpoint configuration "{arn_prefix(cloud)}:endpoint-config/ghost".'
    assert message_of(sm.describe_endpoint_config, EndpointConfigName="ghost") == expected
    assert message_of(sm.delete_endpoint_config, EndpointConfigName="ghost") == expected


def test_deleting_a_model_or_config_touches_nothing_else(sm: Any) -> None:
    model, config = image_model(sm), unique("independent")
    sm.create_endpoint_config(EndpointConfigName=config, ProductionVariants=[variant(model)])
    sm.delete_model(ModelName=model)
    described = sm.describe_endpoint_config(EndpointConfigName=config)
    assert described["ProductionVariants"][0]["ModelName"] == model
    other_model = image_model(sm)
    other_config = unique("independent")
    sm.create_endpoint_config(
        EndpointConfigName=other_config, ProductionVariants=[variant(other_model)]
    )
    sm.delete_endpoint_config(EndpointConfigName=other_config)
    assert sm.describe_model(ModelName=other_model)["ModelName"] == other_model


@pytest.mark.parametrize("order", ["Ascending", "Descending"])
def test_endpoint_configs_list_sorted_and_paged(sm: Any, order: str) -> None:
    model, tag = image_model(sm), unique("lec")
    created = [f"{tag}-{suffix}" for suffix in ("z", "x", "y")]
    for name in created:
        sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[variant(model)])
    first = sm.list_endpoint_configs(NameContains=tag, SortBy="Name", SortOrder=order, MaxResults=2)
    rest = sm.list_endpoint_configs(
        NameContains=tag, SortBy="Name", SortOrder=order, MaxResults=2, NextToken=first["NextToken"]
    )
    assert "NextToken" not in rest
    listed = [c["EndpointConfigName"] for c in first["EndpointConfigs"] + rest["EndpointConfigs"]]
    assert listed == (sorted(created) if order == "Ascending" else sorted(created)[::-1])
    default = sm.list_endpoint_configs(NameContains=tag)["EndpointConfigs"]
    assert [c["EndpointConfigName"] for c in default] == created[::-1]  # newest first
