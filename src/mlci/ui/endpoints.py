"""Endpoints as the dashboard shows them: status, configuration, variants with the model
package each serves, and recent invocations.

Endpoint configurations and models cannot be changed once created, so what a configuration
resolves to (variant -> model -> package) is cached by its name; the endpoint itself is
described on every page load.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from mlci.ui.registry import epoch

PACKAGE_KEYS = ("ModelPackageName",)


@dataclass(frozen=True)
class Variant:
    name: str
    model: str
    weight: float
    instance_count: int
    instance_type: str
    package_arn: str  # "" when the model was made from an image and model data directly
    image: str
    model_data: str


@dataclass(frozen=True)
class ConfigInfo:
    name: str
    created: float
    variants: tuple[Variant, ...]
    snapshot: dict[str, Any]  # {"config": DescribeEndpointConfig, "models": {name: DescribeModel}}


@dataclass(frozen=True)
class EndpointInfo:
    name: str
    status: str
    config_name: str
    failure_reason: str
    created: float
    modified: float
    pending_config: str
    current: dict[str, dict[str, Any]]  # variant -> DescribeEndpoint's ProductionVariants entry
    config: ConfigInfo | None  # None when the configuration can no longer be read


def package_of(model: dict[str, Any]) -> tuple[str, str, str]:
    """(package ARN, image, model data) of a described model's first container."""
    containers = model.get("Containers") or [model.get("PrimaryContainer") or {}]
    first = containers[0] if containers else {}
    return (
        str(first.get("ModelPackageName", "")),
        str(first.get("Image", "")),
        str(first.get("ModelDataUrl", "")),
    )


def config_from_snapshot(snapshot: dict[str, Any]) -> ConfigInfo:
    config = snapshot["config"]
    variants = []
    for given in config.get("ProductionVariants") or []:
        model = snapshot["models"].get(given["ModelName"], {})
        package_arn, image, model_data = package_of(model)
        variants.append(
            Variant(
                name=given["VariantName"],
                model=given["ModelName"],
                weight=float(given.get("InitialVariantWeight", 1.0)),
                instance_count=int(given.get("InitialInstanceCount") or 1),
                instance_type=str(given.get("InstanceType", "")),
                package_arn=package_arn,
                image=image,
                model_data=model_data,
            )
        )
    return ConfigInfo(
        config["EndpointConfigName"], epoch(config.get("CreationTime")), tuple(variants), snapshot
    )


def _plain(described: dict[str, Any]) -> dict[str, Any]:
    """A described resource without the response metadata, times as epoch seconds."""
    plain: dict[str, Any] = {}
    for key, value in described.items():
        if key == "ResponseMetadata":
            continue
        if hasattr(value, "timestamp"):
            value = value.timestamp()
        plain[key] = value
    return plain


def read_snapshot(sm: Any, config_name: str) -> dict[str, Any]:
    """The configuration and the models it names, as described now (ClientError if gone)."""
    from botocore.exceptions import ClientError

    config = _plain(sm.describe_endpoint_config(EndpointConfigName=config_name))
    models = {}
    for variant in config.get("ProductionVariants") or []:
        name = variant["ModelName"]
        try:
            models[name] = _plain(sm.describe_model(ModelName=name))
        except ClientError:
            models[name] = {}  # deleted since: the endpoint still serves it
    return {"config": config, "models": models}


class ConfigCache:
    def __init__(self) -> None:
        self._configs: dict[str, ConfigInfo] = {}
        self._lock = threading.Lock()

    def get(self, sm: Any, name: str, fallback: dict[str, Any] | None = None) -> ConfigInfo | None:
        """The configuration `name`; from `fallback` (a recorded snapshot) once deleted."""
        from botocore.exceptions import ClientError

        with self._lock:
            known = self._configs.get(name)
        if known is not None:
            return known
        try:
            info = config_from_snapshot(read_snapshot(sm, name))
        except ClientError:
            return config_from_snapshot(fallback) if fallback else None
        with self._lock:
            self._configs[name] = info
        return info


def endpoint_info(described: dict[str, Any], config: ConfigInfo | None) -> EndpointInfo:
    pending = (described.get("PendingDeploymentSummary") or {}).get("EndpointConfigName", "")
    return EndpointInfo(
        name=described["EndpointName"],
        status=str(described.get("EndpointStatus", "")),
        config_name=str(described.get("EndpointConfigName", "")),
        failure_reason=str(described.get("FailureReason") or ""),
        created=epoch(described.get("CreationTime")),
        modified=epoch(described.get("LastModifiedTime")),
        pending_config=str(pending),
        current={v["VariantName"]: v for v in described.get("ProductionVariants") or []},
        config=config,
    )


def list_endpoint_names(sm: Any) -> list[str]:
    names = []
    for page in sm.get_paginator("list_endpoints").paginate(
        SortBy="Name", SortOrder="Ascending", PaginationConfig={"PageSize": 100}
    ):
        names += [summary["EndpointName"] for summary in page["Endpoints"]]
    return names
