"""Models: Create / Describe / List / Delete Model.

A model's containers are given either by image (Image + ModelDataUrl) or by a model package
from the registry (ModelPackageName). Either way the model stores, next to its Describe
record, the containers *resolved* to images, artifacts and environments at creation time:
hosting reads those, so deleting the package later, or the model itself, never changes what
an endpoint created from it serves.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from mlci.cloud.errors import AwsError, validation
from mlci.cloud.protocols.json_rpc import Handler
from mlci.cloud.service import Context
from mlci.cloud.services.sagemaker import arns, packages, records, tags
from mlci.cloud.services.sagemaker.listing import Condition, Listing, list_page
from mlci.cloud.services.sagemaker.schema import Migration
from mlci.cloud.services.sagemaker.state import State

RESOURCE_TYPE = "model"

MIGRATIONS = (
    Migration(
        "models-1",
        """
        CREATE TABLE models (
            id INTEGER PRIMARY KEY,
            region TEXT NOT NULL,
            name_key TEXT NOT NULL,
            name TEXT NOT NULL,
            creation_time REAL NOT NULL,
            record TEXT NOT NULL,
            resolved_containers TEXT NOT NULL,
            UNIQUE (region, name_key)
        );
        CREATE INDEX models_by_time ON models (region, creation_time, id);
        CREATE INDEX models_by_name ON models (region, name, id)
        """,
    ),
)

LISTING = Listing(
    table="models",
    sort_columns={"Name": "name", "CreationTime": "creation_time"},
    default_sort_by="CreationTime",
    default_sort_order="Descending",
    inclusive_time_bounds=True,
)

# What hosting needs from a container to run it.
_RUNTIME_MEMBERS = ("Image", "ModelDataUrl", "ModelDataSource", "Mode")


def find(conn: sqlite3.Connection, ctx: Context, name: str) -> sqlite3.Row | None:
    return records.find_named(conn, "models", ctx.region, name)


def missing(ctx: Context, name: str) -> AwsError:
    return validation(f'Could not find model "{arns.build(ctx, RESOURCE_TYPE, name)}".')


def resolved_containers(conn: sqlite3.Connection, ctx: Context, name: str) -> list[dict[str, Any]]:
    """The containers of model `name` as hosting runs them: Image, ModelDataUrl (or
    ModelDataSource), Mode and Environment, package references already followed."""
    row = find(conn, ctx, name)
    if row is None:
        raise missing(ctx, name)
    containers: list[dict[str, Any]] = json.loads(row["resolved_containers"])
    return containers


def _from_package(
    conn: sqlite3.Connection, ctx: Context, container: dict[str, Any], where: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    if container.get("Image"):
        raise validation(f"{where}: give Image or ModelPackageName, not both")
    package = records.load(packages.require(conn, ctx, container["ModelPackageName"])["record"])
    package_containers = package.get("InferenceSpecification", {}).get("Containers") or []
    if not package_containers:
        raise validation(
            f"ModelPackage {package['ModelPackageArn']} has no InferenceSpecification "
            "containers to create a model from."
        )
    extra_environment = container.get("Environment") or {}
    resolved = [
        {
            **records.copy_members(spec, _RUNTIME_MEMBERS),
            "Environment": {**(spec.get("Environment") or {}), **extra_environment},
        }
        for spec in package_containers
    ]
    return {**container, "ModelPackageName": package["ModelPackageArn"]}, resolved


def _container(
    conn: sqlite3.Connection, ctx: Context, container: dict[str, Any], where: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(what Describe shows, what hosting runs) for one container of CreateModel."""
    if container.get("ModelPackageName"):
        return _from_package(conn, ctx, container, where)
    if not container.get("Image"):
        raise validation(f"{where}.Image is required unless {where}.ModelPackageName is given")
    described = {**container, "Mode": container.get("Mode", "SingleModel")}
    described["Environment"] = container.get("Environment") or {}
    return described, [records.copy_members(described, (*_RUNTIME_MEMBERS, "Environment"))]


def _given_containers(params: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    primary, containers = params.get("PrimaryContainer"), params.get("Containers")
    if primary and containers:
        raise validation("Specify PrimaryContainer or Containers, not both.")
    if primary:
        return [(primary, "PrimaryContainer")]
    if not containers:
        raise validation("Either PrimaryContainer or Containers must be specified.")
    return [(container, f"Containers[{index}]") for index, container in enumerate(containers)]


class Models:
    def __init__(self, state: State) -> None:
        self.db = state.db
        self.clock = state.clock

    def handlers(self) -> dict[str, Handler]:
        return {
            "CreateModel": self.create,
            "DescribeModel": self.describe,
            "ListModels": self.list,
            "DeleteModel": self.delete,
        }

    def create(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        name = params["ModelName"]
        arn = arns.build(ctx, RESOURCE_TYPE, name)
        given = _given_containers(params)
        with self.db.write() as conn:
            if find(conn, ctx, name) is not None:
                raise validation(f'Cannot create already existing model "{arn}".')
            described, resolved = [], []
            for container, where in given:
                shown, runs = _container(conn, ctx, container, where)
                described.append(shown)
                resolved.extend(runs)
            now = self.clock.now()  # inside the transaction: CreationTime order is commit order
            record = records.present(
                ModelName=name,
                PrimaryContainer=described[0] if "PrimaryContainer" in params else None,
                Containers=described if "PrimaryContainer" not in params else None,
                InferenceExecutionConfig=params.get("InferenceExecutionConfig"),
                ExecutionRoleArn=params.get("ExecutionRoleArn"),
                VpcConfig=params.get("VpcConfig"),
                CreationTime=now,
                ModelArn=arn,
                EnableNetworkIsolation=bool(params.get("EnableNetworkIsolation", False)),
            )
            conn.execute(
                "INSERT INTO models (region, name_key, name, creation_time, record, "
                "resolved_containers) VALUES (?, ?, ?, ?, ?, ?)",
                (ctx.region, name.lower(), name, now, records.dump(record), json.dumps(resolved)),
            )
            tags.attach(conn, arn, params.get("Tags") or [])
        return {"ModelArn": arn}

    def describe(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        row = find(self.db.conn, ctx, params["ModelName"])
        if row is None:
            raise missing(ctx, params["ModelName"])
        return records.load(row["record"])

    def list(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        page = list_page(self.db.conn, LISTING, params, [Condition("region = ?", (ctx.region,))])
        summaries = [records.project(records.load(r["record"]), "ModelSummary") for r in page.rows]
        return records.present(Models=summaries, NextToken=page.next_token)

    def delete(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        with self.db.write() as conn:
            row = find(conn, ctx, params["ModelName"])
            if row is None:
                raise missing(ctx, params["ModelName"])
            conn.execute("DELETE FROM models WHERE id = ?", (row["id"],))
            tags.detach(conn, records.load(row["record"])["ModelArn"])
        return {}


def handlers(state: State) -> dict[str, Handler]:
    return Models(state).handlers()
