"""Malformed SageMaker requests, sent raw (signed, but past botocore's client-side checks).

Each must come back as an AWS-shaped error naming what was wrong, store nothing, and leave
the server answering.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import RunningCloud
from tests.integration.cloud.sagemaker_support import raw_call, unique


@pytest.fixture(scope="module")
def group(cloud: RunningCloud) -> str:
    name = unique("bad-input")
    assert raw_call(cloud, "CreateModelPackageGroup", {"ModelPackageGroupName": name}).status == 200
    return name


@pytest.mark.parametrize(
    "body",
    [b"{not json", b'{"ModelPackageGroupName": "x"', b"\xff\xfe", b"[1, 2]", b'"text"'],
)
def test_a_body_that_is_not_a_json_object_is_a_serialization_error(
    cloud: RunningCloud, body: bytes
) -> None:
    reply = raw_call(cloud, "CreateModelPackageGroup", body)
    assert (reply.status, reply.code) == (400, "SerializationException")
    assert "JSON" in reply.message


@pytest.mark.parametrize(
    ("operation", "params", "expected"),
    [
        (
            "CreateModelPackageGroup",
            {"ModelPackageGroupName": 5},
            "Value 5 at 'ModelPackageGroupName' must be a string",
        ),
        (
            "CreateModelPackageGroup",
            {},
            "Value null at 'ModelPackageGroupName' failed to satisfy constraint: Member must not "
            "be null",
        ),
        (
            "CreateModelPackageGroup",
            {"ModelPackageGroupName": "x" * 64},
            "at 'ModelPackageGroupName' failed to satisfy constraint: Member must have length "
            "less than or equal to 63",
        ),
        (
            "CreateModelPackageGroup",
            {"ModelPackageGroupName": "bad_name!"},
            "Value 'bad_name!' at 'ModelPackageGroupName' failed to satisfy constraint: Member "
            "must satisfy regular expression pattern",
        ),
        (
            "CreateModelPackageGroup",
            {"ModelPackageGroupName": "ends-with-"},
            "must satisfy regular expression pattern",
        ),
        ("CreateModel", {"PrimaryContainer": {"Image": "x"}}, "Value null at 'ModelName'"),
        (
            "CreateModel",
            {"ModelName": "m", "PrimaryContainer": {"Image": ["x"]}},
            "at 'PrimaryContainer.Image' must be a string",
        ),
        (
            "CreateModel",
            {"ModelName": "m", "PrimaryContainer": {"Image": "x"}, "ExecutionRoleArn": "role"},
            "at 'ExecutionRoleArn' failed to satisfy constraint",
        ),
        (
            "ListModelPackages",
            {"MaxResults": 0},
            "Value 0 at 'MaxResults' failed to satisfy constraint: Member must have value greater "
            "than or equal to 1",
        ),
        ("ListModelPackages", {"MaxResults": 101}, "less than or equal to 100"),
        (
            "ListModelPackages",
            {"MaxResults": "10"},
            "Value '10' at 'MaxResults' must be an integer",
        ),
        (
            "ListModels",
            {"SortBy": "Size"},
            "Value 'Size' at 'SortBy' failed to satisfy constraint: Member must satisfy enum value "
            "set: [Name, CreationTime]",
        ),
        ("ListModels", {"CreationTimeAfter": True}, "at 'CreationTimeAfter' must be a timestamp"),
        (
            "ListModels",
            {"CreationTimeAfter": "yesterday"},
            "Value 'yesterday' at 'CreationTimeAfter' is not a valid timestamp",
        ),
        (
            "CreateModelPackage",
            {"ModelPackageGroupName": "g", "ModelApprovalStatus": "Maybe"},
            "at 'ModelApprovalStatus' failed to satisfy constraint: Member must satisfy enum",
        ),
        (
            "CreateModelPackage",
            {"ModelPackageGroupName": "g", "CustomerMetadataProperties": {"k": 1}},
            "must be a string",
        ),
        (
            "CreateEndpointConfig",
            {
                "EndpointConfigName": "c",
                "ProductionVariants": [{"VariantName": "v", "InitialInstanceCount": "one"}],
            },
            "Value 'one' at 'ProductionVariants[0].InitialInstanceCount' must be an integer",
        ),
        (
            "CreateEndpointConfig",
            {"EndpointConfigName": "c", "ProductionVariants": []},
            "at 'ProductionVariants' failed to satisfy constraint: Member must have length "
            "greater than or equal to 1",
        ),
        (
            "UpdateModelPackage",
            {"ModelPackageArn": "not-an-arn"},
            "Value 'not-an-arn' at 'ModelPackageArn' failed to satisfy constraint",
        ),
        ("AddTags", {"ResourceArn": "arn:aws:sagemaker:us-east-1:123456789012:model/m"}, "'Tags'"),
        (
            "DescribeModelPackage",
            {"ModelPackageName": "g/1/2"},
            "at 'ModelPackageName' failed to satisfy constraint",
        ),
    ],
)
def test_invalid_parameters_are_validation_errors_naming_the_field(
    cloud: RunningCloud, operation: str, params: dict[str, Any], expected: str
) -> None:
    reply = raw_call(cloud, operation, params)
    assert (reply.status, reply.code) == (400, "ValidationException")
    assert expected in reply.message


def test_bad_input_stores_nothing_and_the_server_keeps_answering(
    cloud: RunningCloud, group: str
) -> None:
    bad = {"ModelPackageGroupName": group, "ModelApprovalStatus": "Maybe"}
    assert raw_call(cloud, "CreateModelPackage", bad).code == "ValidationException"
    assert raw_call(cloud, "CreateModelPackage", b"{oops").code == "SerializationException"
    good = raw_call(cloud, "CreateModelPackage", {"ModelPackageGroupName": group})
    assert good.status == 200
    assert good.body["ModelPackageArn"].endswith(f"/{group.lower()}/1")


def test_an_operation_we_do_not_implement_is_named(cloud: RunningCloud) -> None:
    reply = raw_call(cloud, "CreateHyperParameterTuningJob", {})
    assert reply.code == "UnknownOperationException"
    assert reply.message == "mlci cloud does not implement SageMaker.CreateHyperParameterTuningJob"
