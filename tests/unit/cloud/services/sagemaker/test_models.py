"""What hosting reads from a model: its containers resolved at creation time.

Driven through the service's own handlers on a real database, without a server.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from mlci.cloud.errors import AwsError
from mlci.cloud.service import Context
from mlci.cloud.services import sagemaker
from mlci.cloud.services.sagemaker import models
from mlci.sqlite import Database

CTX = Context(account_id="123456789012", region="eu-west-1", request_id="r")
PACKAGE_CONTAINER = {
    "Image": "sagemaker-xgboost:1.7-1",
    "ModelDataUrl": "s3://m/model.tar.gz",
    "Environment": {"A": "package", "B": "package"},
}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def service(home: Path) -> Any:
    (built,) = sagemaker.create(home)
    return built


def reader(home: Path) -> sqlite3.Connection:
    """A connection of its own to the service's database, as a hosting module would have."""
    return Database(home / sagemaker.DATABASE_FILE, []).conn


def call(service: Any, operation: str, **params: Any) -> dict[str, Any]:
    result: dict[str, Any] = service.operations[operation](params, CTX)
    return result


def test_a_package_model_keeps_its_resolved_containers_after_the_package_is_gone(
    service: Any, home: Path
) -> None:
    call(service, "CreateModelPackageGroup", ModelPackageGroupName="g")
    arn = call(
        service,
        "CreateModelPackage",
        ModelPackageGroupName="g",
        InferenceSpecification={"Containers": [PACKAGE_CONTAINER]},
    )["ModelPackageArn"]
    call(
        service,
        "CreateModel",
        ModelName="from-package",
        PrimaryContainer={"ModelPackageName": arn, "Environment": {"B": "model"}},
    )
    call(service, "DeleteModelPackage", ModelPackageName=arn)
    resolved = models.resolved_containers(reader(home), CTX, "FROM-PACKAGE")
    assert resolved == [
        {
            "Image": "sagemaker-xgboost:1.7-1",
            "ModelDataUrl": "s3://m/model.tar.gz",
            "Environment": {"A": "package", "B": "model"},  # the model's own values win
        }
    ]


def test_an_image_model_resolves_to_itself(service: Any, home: Path) -> None:
    call(
        service,
        "CreateModel",
        ModelName="image",
        Containers=[{"Image": "img:1", "ModelDataUrl": "s3://m/a.tar.gz"}, {"Image": "img:2"}],
    )
    resolved = models.resolved_containers(reader(home), CTX, "image")
    assert resolved == [
        {
            "Image": "img:1",
            "ModelDataUrl": "s3://m/a.tar.gz",
            "Mode": "SingleModel",
            "Environment": {},
        },
        {"Image": "img:2", "Mode": "SingleModel", "Environment": {}},
    ]


def test_a_package_without_containers_cannot_back_a_model(service: Any) -> None:
    call(service, "CreateModelPackageGroup", ModelPackageGroupName="empty")
    arn = call(service, "CreateModelPackage", ModelPackageGroupName="empty")["ModelPackageArn"]
    with pytest.raises(AwsError, match="has no InferenceSpecification containers"):
        call(service, "CreateModel", ModelName="m", PrimaryContainer={"ModelPackageName": arn})


def test_resolving_a_missing_model_is_the_describe_error(service: Any, home: Path) -> None:
    with pytest.raises(AwsError, match='Could not find model "arn:aws:sagemaker:eu-west-1:'):
        models.resolved_containers(reader(home), CTX, "ghost")
