"""Endpoint configurations: Create / Describe / List / Delete EndpointConfig.

A configuration names, per production variant, a model (which must exist when the
configuration is created), an instance type and count, and a traffic weight. It is a plain
record: deleting it later affects nothing created from it.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from mlci.cloud.errors import AwsError, validation
from mlci.cloud.protocols.json_rpc import Handler
from mlci.cloud.service import Context
from mlci.cloud.services.sagemaker import arns, models, records, tags
from mlci.cloud.services.sagemaker.listing import Condition, Listing, list_page
from mlci.cloud.services.sagemaker.schema import Migration
from mlci.cloud.services.sagemaker.state import State

RESOURCE_TYPE = "endpoint-config"
DEFAULT_VARIANT_WEIGHT = 1.0

MIGRATIONS = (
    Migration(
        "endpoint-configs-1",
        """
        CREATE TABLE endpoint_configs (
            id INTEGER PRIMARY KEY,
            region TEXT NOT NULL,
            name_key TEXT NOT NULL,
            name TEXT NOT NULL,
            creation_time REAL NOT NULL,
            record TEXT NOT NULL,
            UNIQUE (region, name_key)
        );
        CREATE INDEX endpoint_configs_by_time ON endpoint_configs (region, creation_time, id);
        CREATE INDEX endpoint_configs_by_name ON endpoint_configs (region, name, id)
        """,
    ),
)

LISTING = Listing(
    table="endpoint_configs",
    sort_columns={"Name": "name", "CreationTime": "creation_time"},
    default_sort_by="CreationTime",
    default_sort_order="Descending",
    inclusive_time_bounds=True,
)

# Members of CreateEndpointConfig kept as given in the record.
_COPIED = (
    "DataCaptureConfig",
    "KmsKeyId",
    "AsyncInferenceConfig",
    "ExplainerConfig",
    "ExecutionRoleArn",
    "VpcConfig",
    "EnableNetworkIsolation",
    "MetricsConfig",
)


def find(conn: sqlite3.Connection, ctx: Context, name: str) -> sqlite3.Row | None:
    return records.find_named(conn, "endpoint_configs", ctx.region, name)


def missing(ctx: Context, name: str) -> AwsError:
    arn = arns.build(ctx, RESOURCE_TYPE, name)
    return validation(f'Could not find endpoint configuration "{arn}".')


def _variant(
    conn: sqlite3.Connection, ctx: Context, variant: dict[str, Any], where: str
) -> dict[str, Any]:
    if not variant.get("ServerlessConfig"):
        for member in ("InstanceType", "InitialInstanceCount"):
            if variant.get(member) is None:
                raise validation(f"{where}.{member} is required for an instance-based variant")
    model_name = variant.get("ModelName")
    if not model_name:
        raise validation(f"{where}.ModelName is required (inference components are not supported)")
    if models.find(conn, ctx, model_name) is None:
        raise models.missing(ctx, model_name)
    return {
        **variant,
        "InitialVariantWeight": variant.get("InitialVariantWeight", DEFAULT_VARIANT_WEIGHT),
    }


def _variants(
    conn: sqlite3.Connection, ctx: Context, params: dict[str, Any], member: str
) -> list[dict[str, Any]] | None:
    given = params.get(member)
    if not given:
        return None
    return [_variant(conn, ctx, v, f"{member}[{i}]") for i, v in enumerate(given)]


def _check_unique_names(variants: list[dict[str, Any]]) -> None:
    seen: set[str] = set()
    for variant in variants:
        name = variant["VariantName"]
        if name in seen:
            raise validation(
                f"VariantName '{name}' is used by more than one variant; names must be unique."
            )
        seen.add(name)


class EndpointConfigs:
    def __init__(self, state: State) -> None:
        self.db = state.db
        self.clock = state.clock

    def handlers(self) -> dict[str, Handler]:
        return {
            "CreateEndpointConfig": self.create,
            "DescribeEndpointConfig": self.describe,
            "ListEndpointConfigs": self.list,
            "DeleteEndpointConfig": self.delete,
        }

    def create(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        name = params["EndpointConfigName"]
        arn = arns.build(ctx, RESOURCE_TYPE, name)
        with self.db.write() as conn:
            if find(conn, ctx, name) is not None:
                raise validation(f'Cannot create already existing endpoint configuration "{arn}".')
            production = _variants(conn, ctx, params, "ProductionVariants") or []
            shadow = _variants(conn, ctx, params, "ShadowProductionVariants")
            _check_unique_names(production + (shadow or []))
            now = self.clock.now()  # inside the transaction: CreationTime order is commit order
            record = {
                "EndpointConfigName": name,
                "EndpointConfigArn": arn,
                "ProductionVariants": production,
                **records.copy_members(params, _COPIED),
                "CreationTime": now,
                **records.present(ShadowProductionVariants=shadow),
            }
            conn.execute(
                "INSERT INTO endpoint_configs (region, name_key, name, creation_time, record) "
                "VALUES (?, ?, ?, ?, ?)",
                (ctx.region, name.lower(), name, now, records.dump(record)),
            )
            tags.attach(conn, arn, params.get("Tags") or [])
        return {"EndpointConfigArn": arn}

    def describe(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        row = find(self.db.conn, ctx, params["EndpointConfigName"])
        if row is None:
            raise missing(ctx, params["EndpointConfigName"])
        return records.load(row["record"])

    def list(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        page = list_page(self.db.conn, LISTING, params, [Condition("region = ?", (ctx.region,))])
        summaries = [
            records.project(records.load(r["record"]), "EndpointConfigSummary") for r in page.rows
        ]
        return records.present(EndpointConfigs=summaries, NextToken=page.next_token)

    def delete(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        with self.db.write() as conn:
            row = find(conn, ctx, params["EndpointConfigName"])
            if row is None:
                raise missing(ctx, params["EndpointConfigName"])
            conn.execute("DELETE FROM endpoint_configs WHERE id = ?", (row["id"],))
            tags.detach(conn, records.load(row["record"])["EndpointConfigArn"])
        return {}


def handlers(state: State) -> dict[str, Handler]:
    return EndpointConfigs(state).handlers()
