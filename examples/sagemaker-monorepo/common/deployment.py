"""Put an approved model package behind the model's endpoint, and check that it really is.

Order matters: new model and endpoint config first; create or update the endpoint; wait (with
a bound) until it is InService; check it runs the *new* config — SageMaker rolls a failed update
back to the old fleet and reports InService again, so a waiter alone would call that a success;
only then delete the older models and endpoint configs this pipeline made.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from common.errors import StepFailed
from common.registry import Package

BUSY = ("Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting")
MAX_NAME = 63


@dataclass(frozen=True)
class Hosting:
    endpoint: str  # the endpoint is named after the model (MODEL_NAME)
    role_arn: str
    instance_type: str = "ml.m5.large"
    instance_count: int = 1
    wait_delay_seconds: int = 30
    wait_max_attempts: int = 60  # 30 minutes at the default delay


def resource_name(endpoint: str, version: int, now: float | None = None) -> str:
    """`<endpoint>-v<version>-<UTC time>`: unique per deployment, and tells where it came from."""
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(now))
    name = f"{endpoint}-v{version}-{stamp}"
    if len(name) > MAX_NAME:
        raise StepFailed(f"MODEL_NAME {endpoint!r} is too long for SageMaker resource names")
    return name


def _ours(endpoint: str) -> re.Pattern[str]:
    return re.compile(rf"{re.escape(endpoint)}-v\d+-\d{{14}}")


def create_model_and_config(sm: Any, hosting: Hosting, package: Package, name: str) -> None:
    sm.create_model(
        ModelName=name,
        ExecutionRoleArn=hosting.role_arn,
        Containers=[{"ModelPackageName": package.arn}],
    )
    sm.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": name,
                "InitialInstanceCount": hosting.instance_count,
                "InstanceType": hosting.instance_type,
                "InitialVariantWeight": 1.0,
            }
        ],
    )


def endpoint_status(sm: Any, endpoint: str) -> str | None:
    try:
        return str(sm.describe_endpoint(EndpointName=endpoint)["EndpointStatus"])
    except sm.exceptions.ClientError as exc:
        if exc.response["Error"]["Code"] in ("ValidationException", "ResourceNotFound"):
            return None  # SageMaker answers ValidationException for an unknown endpoint
        raise


def start_rollout(sm: Any, hosting: Hosting, config_name: str) -> str:
    """Create the endpoint, or point it at the new config; returns what was done."""
    status = endpoint_status(sm, hosting.endpoint)
    if status in BUSY:
        raise StepFailed(
            f"endpoint {hosting.endpoint} is {status}: another deployment is under way; "
            "re-run this job once it is InService"
        )
    if status == "Failed":
        # An endpoint whose creation failed cannot be updated; it serves nothing, so replace it.
        sm.delete_endpoint(EndpointName=hosting.endpoint)
        sm.get_waiter("endpoint_deleted").wait(
            EndpointName=hosting.endpoint, WaiterConfig=_wait(hosting)
        )
        status = None
    if status is None:
        sm.create_endpoint(EndpointName=hosting.endpoint, EndpointConfigName=config_name)
        return "created"
    sm.update_endpoint(EndpointName=hosting.endpoint, EndpointConfigName=config_name)
    return "updated"


def _wait(hosting: Hosting) -> dict[str, int]:
    return {"Delay": hosting.wait_delay_seconds, "MaxAttempts": hosting.wait_max_attempts}


def wait_until_serving(sm: Any, hosting: Hosting, config_name: str) -> dict[str, Any]:
    """Wait for InService, then insist the endpoint runs `config_name` and reports no failure."""
    from botocore.exceptions import WaiterError

    try:
        sm.get_waiter("endpoint_in_service").wait(
            EndpointName=hosting.endpoint, WaiterConfig=_wait(hosting)
        )
    except WaiterError as exc:
        failed = sm.describe_endpoint(EndpointName=hosting.endpoint)
        raise StepFailed(
            f"endpoint {hosting.endpoint} did not become InService with {config_name}: status "
            f"{failed['EndpointStatus']}, reason: {failed.get('FailureReason') or exc}"
        ) from None
    described: dict[str, Any] = sm.describe_endpoint(EndpointName=hosting.endpoint)
    running = described.get("EndpointConfigName")
    if running != config_name or described.get("FailureReason"):
        raise StepFailed(
            f"endpoint {hosting.endpoint} is InService but runs {running}, not {config_name}: the "
            f"update was rolled back ({described.get('FailureReason') or 'no reason given'}). "
            "The old model still serves; nothing was cleaned up."
        )
    return described


def _names(sm: Any, operation: str, key: str, name_key: str, endpoint: str) -> list[str]:
    pattern = _ours(endpoint)
    names = []
    for page in sm.get_paginator(operation).paginate(NameContains=endpoint):
        names += [item[name_key] for item in page[key] if pattern.fullmatch(item[name_key])]
    return names


def delete_older(sm: Any, endpoint: str, keep: str) -> list[str]:
    """Delete this endpoint's earlier endpoint configs and models; returns what was deleted."""
    deleted = []
    configs = _names(sm, "list_endpoint_configs", "EndpointConfigs", "EndpointConfigName", endpoint)
    for name in configs:
        if name != keep:
            sm.delete_endpoint_config(EndpointConfigName=name)
            deleted.append(f"endpoint config {name}")
    for name in _names(sm, "list_models", "Models", "ModelName", endpoint):
        if name != keep:
            sm.delete_model(ModelName=name)
            deleted.append(f"model {name}")
    return deleted


def serving_config(sm: Any, endpoint: str, package: Package) -> str | None:
    """The endpoint's config if the endpoint is InService with `package` alone, else None."""
    try:
        described = sm.describe_endpoint(EndpointName=endpoint)
    except sm.exceptions.ClientError:
        return None  # no endpoint yet (or not readable): deploy normally
    if described["EndpointStatus"] != "InService":
        return None
    config_name = str(described["EndpointConfigName"])
    variants = sm.describe_endpoint_config(EndpointConfigName=config_name)["ProductionVariants"]
    for variant in variants:
        containers = sm.describe_model(ModelName=variant["ModelName"]).get("Containers", [])
        if [c.get("ModelPackageName") for c in containers] != [package.arn]:
            return None
    return config_name


def deploy_package(sm: Any, hosting: Hosting, package: Package) -> str:
    """Deploy `package` to the endpoint; returns the new model / endpoint config name.

    A re-run (the package already serves) changes nothing, so retrying a job is safe.
    """
    name = serving_config(sm, hosting.endpoint, package)
    if name is not None:
        print(f"endpoint {hosting.endpoint} already serves package v{package.version} ({name})")
    else:
        name = resource_name(hosting.endpoint, package.version)
        create_model_and_config(sm, hosting, package, name)
        action = start_rollout(sm, hosting, name)
        print(f"{action} endpoint {hosting.endpoint} with {name}; waiting until it is InService")
        wait_until_serving(sm, hosting, name)
        print(f"endpoint {hosting.endpoint} is InService with {name} (package v{package.version})")
    # Also on a re-run: an earlier run may have stopped before its clean-up.
    for what in delete_older(sm, hosting.endpoint, keep=name):
        print(f"deleted {what}")
    return name
