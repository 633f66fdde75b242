"""SageMaker ARNs: built lower-cased, parsed, and scoped to the caller's region and account."""

from __future__ import annotations

import pytest

from mlci.cloud.errors import AwsError
from mlci.cloud.service import Context
from mlci.cloud.services.sagemaker import arns

CTX = Context(account_id="123456789012", region="eu-west-1", request_id="r")


def test_arns_lower_case_the_resource_id() -> None:
    assert arns.build(CTX, "model-package", "Churn/3") == (
        "arn:aws:sagemaker:eu-west-1:123456789012:model-package/churn/3"
    )


def test_parse_splits_an_arn_and_rejects_anything_else() -> None:
    parsed = arns.parse("arn:aws:sagemaker:eu-west-1:123456789012:model-package/g/7")
    assert parsed == arns.Arn("eu-west-1", "123456789012", "model-package", "g/7")
    for text in ("model/x", "arn:aws:s3:::bucket", "arn:aws:sagemaker:eu-west-1:1234:model/x"):
        assert arns.parse(text) is None


def test_resource_id_accepts_a_name_or_an_arn_of_the_right_type() -> None:
    assert arns.resource_id(CTX, "My-Model", "model") == "My-Model"
    arn = "arn:aws:sagemaker:eu-west-1:123456789012:model/my-model"
    assert arns.resource_id(CTX, arn, "model") == "my-model"
    with pytest.raises(AwsError, match="is not a SageMaker endpoint-config ARN"):
        arns.resource_id(CTX, arn, "endpoint-config")
    with pytest.raises(AwsError, match="is not a SageMaker model ARN"):
        arns.resource_id(CTX, "arn:aws:iam::123456789012:role/x", "model")


@pytest.mark.parametrize(
    ("arn", "message"),
    [
        ("arn:aws:sagemaker:us-east-1:123456789012:model/m", "correct region: eu-west-1"),
        ("arn:aws:sagemaker:eu-west-1:999999999999:model/m", "correct account: 123456789012"),
    ],
)
def test_arns_of_another_region_or_account_are_refused(arn: str, message: str) -> None:
    with pytest.raises(AwsError, match=message) as caught:
        arns.resource_id(CTX, arn, "model")
    assert caught.value.code == "ValidationException"


def test_keys_ignore_case() -> None:
    assert arns.key("arn:aws:sagemaker:eu-west-1:123456789012:model/A") == arns.key(
        "arn:aws:sagemaker:eu-west-1:123456789012:model/a"
    )
