"""AddTags / ListTags / DeleteTags on every registry and hosting resource."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import RunningCloud
from tests.integration.cloud.sagemaker_support import INFERENCE_SPECIFICATION, unique

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
CREATED_WITH = [{"Key": "team", "Value": "risk"}, {"Key": "cost-centre", "Value": "42"}]


def new_group(sm: Any, tags: list[dict[str, str]]) -> str:
    reply = sm.create_model_package_group(ModelPackageGroupName=unique("tg"), Tags=tags)
    return str(reply["ModelPackageGroupArn"])


def new_package(sm: Any, tags: list[dict[str, str]]) -> str:
    group = unique("tp")
    sm.create_model_package_group(ModelPackageGroupName=group)
    reply = sm.create_model_package(
        ModelPackageGroupName=group, InferenceSpecification=INFERENCE_SPECIFICATION, Tags=tags
    )
    return str(reply["ModelPackageArn"])


def new_model(sm: Any, tags: list[dict[str, str]]) -> str:
    reply = sm.create_model(ModelName=unique("tm"), PrimaryContainer={"Image": IMAGE}, Tags=tags)
    return str(reply["ModelArn"])


def new_endpoint_config(sm: Any, tags: list[dict[str, str]]) -> str:
    model = unique("tm")
    sm.create_model(ModelName=model, PrimaryContainer={"Image": IMAGE})
    variant = {
        "VariantName": "v",
        "ModelName": model,
        "InitialInstanceCount": 1,
        "InstanceType": "ml.m5.large",
    }
    reply = sm.create_endpoint_config(
        EndpointConfigName=unique("tec"), ProductionVariants=[variant], Tags=tags
    )
    return str(reply["EndpointConfigArn"])


MAKERS: dict[str, Callable[[Any, list[dict[str, str]]], str]] = {
    "group": new_group,
    "package": new_package,
    "model": new_model,
    "endpoint-config": new_endpoint_config,
}


@pytest.mark.parametrize("kind", MAKERS)
def test_tags_given_at_creation_are_listed_then_changed(sm: Any, kind: str) -> None:
    arn = MAKERS[kind](sm, CREATED_WITH)
    assert sm.list_tags(ResourceArn=arn)["Tags"] == CREATED_WITH
    added = [{"Key": "team", "Value": "fraud"}, {"Key": "stage", "Value": "prod"}]
    assert sm.add_tags(ResourceArn=arn, Tags=added)["Tags"] == added
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [
        {"Key": "team", "Value": "fraud"},  # overwritten in place
        {"Key": "cost-centre", "Value": "42"},
        {"Key": "stage", "Value": "prod"},
    ]
    sm.delete_tags(ResourceArn=arn, TagKeys=["team", "never-set"])
    assert [t["Key"] for t in sm.list_tags(ResourceArn=arn)["Tags"]] == ["cost-centre", "stage"]


def test_tags_go_with_their_resource(sm: Any, cloud: RunningCloud) -> None:
    name = unique("tz")
    sm.create_model(ModelName=name, PrimaryContainer={"Image": IMAGE}, Tags=CREATED_WITH)
    arn = f"arn:aws:sagemaker:{cloud.region}:{cloud.account_id}:model/{name}"
    sm.delete_model(ModelName=name)
    with pytest.raises(ClientError, match=f"Resource {arn} does not exist"):
        sm.list_tags(ResourceArn=arn)
    sm.create_model(ModelName=name, PrimaryContainer={"Image": IMAGE})
    assert sm.list_tags(ResourceArn=arn)["Tags"] == []


def test_tags_on_missing_or_foreign_resources_are_refused(sm: Any, cloud: RunningCloud) -> None:
    missing = f"arn:aws:sagemaker:{cloud.region}:{cloud.account_id}:model/never-made"
    for call, params in (
        (sm.add_tags, {"Tags": CREATED_WITH}),
        (sm.list_tags, {}),
        (sm.delete_tags, {"TagKeys": ["team"]}),
    ):
        with pytest.raises(ClientError, match=f"Resource {missing} does not exist") as caught:
            call(ResourceArn=missing, **params)
        assert caught.value.response["Error"]["Code"] == "ValidationException"
    elsewhere = f"arn:aws:sagemaker:xx-east-9:{cloud.account_id}:model/x"
    with pytest.raises(ClientError, match="ARN should be scoped to correct region"):
        sm.list_tags(ResourceArn=elsewhere)
    with pytest.raises(ClientError, match="is not a SageMaker ARN"):
        sm.list_tags(ResourceArn=f"arn:aws:sagemaker:{cloud.region}:{cloud.account_id}:nothing")


def test_reserved_keys_and_too_many_tags_are_refused(sm: Any) -> None:
    arn = new_model(sm, [])
    with pytest.raises(ClientError, match="reserved for AWS use: 'aws:owner'"):
        sm.add_tags(ResourceArn=arn, Tags=[{"Key": "aws:owner", "Value": "x"}])
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    with pytest.raises(ClientError, match="would have 51 tags; a resource can have at most 50"):
        sm.add_tags(ResourceArn=arn, Tags=[{"Key": "one-more", "Value": "v"}])
    tags = sm.list_tags(ResourceArn=arn, MaxResults=50)
    assert len(tags["Tags"]) == 50 and "NextToken" not in tags
    with pytest.raises(ClientError, match="reserved for AWS use"):
        new_group(sm, [{"Key": "AWS:x", "Value": "y"}])
