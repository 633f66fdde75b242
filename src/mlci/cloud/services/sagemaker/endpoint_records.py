"""What an endpoint stores: its Describe record and the deployment it runs.

The `deployment` column holds everything needed to run the endpoint again without the
configuration or models it was created from (either may be deleted while it serves): per
variant the weight, instance count, instance type and the model's resolved containers, plus
the deployment id under which hosting keeps the model files. DescribeEndpoint's
ProductionVariants are derived from it, so the two never disagree.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Mapping
from typing import Any

from mlci.cloud.errors import validation
from mlci.cloud.hosting.deployer import Plan, VariantPlan
from mlci.cloud.service import Context
from mlci.cloud.services.sagemaker import models, records
from mlci.cloud.services.sagemaker.records import Record

Deployment = dict[str, Any]

IN_SERVICE = "InService"
CREATING = "Creating"
UPDATING = "Updating"
FAILED = "Failed"
DELETING = "Deleting"


def new_deployment(
    conn: sqlite3.Connection,
    ctx: Context,
    config: Record,
    retained: Mapping[str, Mapping[str, Any]] | None = None,
) -> Deployment:
    """The deployment of endpoint configuration `config`; `retained` maps variant names to
    the DesiredWeight / DesiredInstanceCount to keep instead of the configuration's."""
    if config.get("ShadowProductionVariants"):
        raise validation(
            "mlci cloud does not serve ShadowProductionVariants; "
            f"endpoint configuration {config['EndpointConfigName']} has some"
        )
    variants = []
    for given in config["ProductionVariants"]:
        kept = (retained or {}).get(given["VariantName"], {})
        variants.append(
            {
                "VariantName": given["VariantName"],
                "ModelName": given["ModelName"],
                "InstanceType": given.get("InstanceType"),
                "Weight": float(kept.get("DesiredWeight", given["InitialVariantWeight"])),
                "InstanceCount": int(
                    kept.get("DesiredInstanceCount", given.get("InitialInstanceCount") or 1)
                ),
                "Containers": models.resolved_containers(conn, ctx, given["ModelName"]),
            }
        )
    return {
        "Id": uuid.uuid4().hex,
        "EndpointConfigName": config["EndpointConfigName"],
        "Variants": variants,
    }


def plan(deployment: Deployment) -> Plan:
    return Plan(
        deployment["Id"],
        tuple(
            VariantPlan(v["VariantName"], v["Weight"], v["InstanceCount"], v["Containers"])
            for v in deployment["Variants"]
        ),
    )


def variant_summaries(deployment: Deployment, deployed_at: float) -> list[Record]:
    """DescribeEndpoint's ProductionVariants for a deployment that serves."""
    summaries = []
    for variant in deployment["Variants"]:
        images = [
            {
                "SpecifiedImage": container["Image"],
                "ResolvedImage": container["Image"],
                "ResolutionTime": deployed_at,
            }
            for container in variant["Containers"]
            if container.get("Image")
        ]
        summaries.append(
            {
                "VariantName": variant["VariantName"],
                "DeployedImages": images,
                "CurrentWeight": variant["Weight"],
                "DesiredWeight": variant["Weight"],
                "CurrentInstanceCount": variant["InstanceCount"],
                "DesiredInstanceCount": variant["InstanceCount"],
            }
        )
    return summaries


def creating(
    name: str, arn: str, config_name: str, params: Mapping[str, Any], now: float
) -> Record:
    return records.present(
        EndpointName=name,
        EndpointArn=arn,
        EndpointConfigName=config_name,
        EndpointStatus=CREATING,
        CreationTime=now,
        LastModifiedTime=now,
        LastDeploymentConfig=params.get("DeploymentConfig"),
    )


def serving(record: Record, deployment: Deployment, now: float) -> Record:
    """The record once `deployment` serves (after a create or an update that succeeded)."""
    updated = {
        k: v for k, v in record.items() if k not in ("FailureReason", "PendingDeploymentSummary")
    }
    updated.update(
        EndpointConfigName=deployment["EndpointConfigName"],
        ProductionVariants=variant_summaries(deployment, now),
        EndpointStatus=IN_SERVICE,
        LastModifiedTime=now,
    )
    return updated


def failed_creation(record: Record, reason: str, now: float) -> Record:
    return {
        **record,
        "EndpointStatus": FAILED,
        "FailureReason": reason[:1024],
        "LastModifiedTime": now,
    }


def rolled_back(record: Record, reason: str, now: float) -> Record:
    """An update that failed: the old configuration still serves."""
    updated = {k: v for k, v in record.items() if k != "PendingDeploymentSummary"}
    updated.update(EndpointStatus=IN_SERVICE, FailureReason=reason[:1024], LastModifiedTime=now)
    return updated


def updating(
    record: Record, config_name: str | None, now: float, deployment_config: Any = None
) -> Record:
    updated = {**record, "EndpointStatus": UPDATING, "LastModifiedTime": now}
    if config_name is not None:
        updated["PendingDeploymentSummary"] = {"EndpointConfigName": config_name, "StartTime": now}
    if deployment_config is not None:
        updated["LastDeploymentConfig"] = deployment_config
    return updated


def retained_properties(record: Record, params: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """UpdateEndpoint's RetainAllVariantProperties: the current weight and instance count per
    variant name, less the properties listed in ExcludeRetainedVariantProperties."""
    if not params.get("RetainAllVariantProperties"):
        return {}
    excluded = {
        p["VariantPropertyType"] for p in params.get("ExcludeRetainedVariantProperties") or []
    }
    kept = {}
    for variant in record.get("ProductionVariants") or []:
        kept[variant["VariantName"]] = {
            name: variant[name]
            for name in ("DesiredWeight", "DesiredInstanceCount")
            if name not in excluded and name in variant
        }
    return kept


def resized(deployment: Deployment, changes: Mapping[str, Mapping[str, Any]]) -> Deployment:
    """The deployment with UpdateEndpointWeightsAndCapacities' changes applied."""
    variants = []
    for variant in deployment["Variants"]:
        change = changes.get(variant["VariantName"], {})
        variants.append(
            {
                **variant,
                "Weight": float(change.get("DesiredWeight", variant["Weight"])),
                "InstanceCount": int(change.get("DesiredInstanceCount", variant["InstanceCount"])),
            }
        )
    return {**deployment, "Variants": variants}
