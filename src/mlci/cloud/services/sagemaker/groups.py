"""Model package groups: Create / Describe / List / Delete ModelPackageGroup.

A group also owns the counter its package versions are drawn from (`last_version`), so that
versions stay unique and never reused, however many clients register at once.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from mlci.cloud.errors import AwsError, validation
from mlci.cloud.protocols.json_rpc import Handler
from mlci.cloud.service import Context
from mlci.cloud.services.sagemaker import arns, records, tags
from mlci.cloud.services.sagemaker.listing import Condition, Listing, list_page
from mlci.cloud.services.sagemaker.schema import Migration
from mlci.cloud.services.sagemaker.state import State

RESOURCE_TYPE = "model-package-group"

MIGRATIONS = (
    Migration(
        "model-package-groups-1",
        """
        CREATE TABLE model_package_groups (
            id INTEGER PRIMARY KEY,
            region TEXT NOT NULL,
            name_key TEXT NOT NULL,
            name TEXT NOT NULL,
            creation_time REAL NOT NULL,
            last_version INTEGER NOT NULL DEFAULT 0,
            record TEXT NOT NULL,
            UNIQUE (region, name_key)
        );
        CREATE INDEX model_package_groups_by_time
            ON model_package_groups (region, creation_time, id);
        CREATE INDEX model_package_groups_by_name
            ON model_package_groups (region, name, id)
        """,
    ),
)

LISTING = Listing(
    table="model_package_groups",
    sort_columns={"Name": "name", "CreationTime": "creation_time"},
    default_sort_by="CreationTime",
    default_sort_order="Ascending",
)


def find(conn: sqlite3.Connection, ctx: Context, name_or_arn: str) -> sqlite3.Row | None:
    name = arns.resource_id(ctx, name_or_arn, RESOURCE_TYPE)
    return records.find_named(conn, "model_package_groups", ctx.region, name)


def missing(ctx: Context, name_or_arn: str) -> AwsError:
    name = arns.resource_id(ctx, name_or_arn, RESOURCE_TYPE)
    return validation(f"ModelPackageGroup {arns.build(ctx, RESOURCE_TYPE, name)} does not exist.")


class ModelPackageGroups:
    def __init__(self, state: State) -> None:
        self.db = state.db
        self.clock = state.clock

    def handlers(self) -> dict[str, Handler]:
        return {
            "CreateModelPackageGroup": self.create,
            "DescribeModelPackageGroup": self.describe,
            "ListModelPackageGroups": self.list,
            "DeleteModelPackageGroup": self.delete,
        }

    def create(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        name = params["ModelPackageGroupName"]
        arn = arns.build(ctx, RESOURCE_TYPE, name)
        with self.db.write() as conn:
            if find(conn, ctx, name) is not None:
                raise validation(f"Model Package Group already exists: {arn}")
            now = self.clock.now()  # inside the transaction: CreationTime order is commit order
            record = records.present(
                ModelPackageGroupName=name,
                ModelPackageGroupArn=arn,
                ModelPackageGroupDescription=params.get("ModelPackageGroupDescription"),
                CreationTime=now,
                CreatedBy=records.caller(ctx),
                ModelPackageGroupStatus="Completed",
                ManagedConfiguration=params.get("ManagedConfiguration"),
            )
            conn.execute(
                "INSERT INTO model_package_groups (region, name_key, name, creation_time, record) "
                "VALUES (?, ?, ?, ?, ?)",
                (ctx.region, name.lower(), name, now, records.dump(record)),
            )
            tags.attach(conn, arn, params.get("Tags") or [])
        return {"ModelPackageGroupArn": arn}

    def describe(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        row = find(self.db.conn, ctx, params["ModelPackageGroupName"])
        if row is None:
            raise missing(ctx, params["ModelPackageGroupName"])
        return records.load(row["record"])

    def list(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        page = list_page(self.db.conn, LISTING, params, [Condition("region = ?", (ctx.region,))])
        summaries = [
            records.project(records.load(row["record"]), "ModelPackageGroupSummary")
            for row in page.rows
        ]
        return records.present(ModelPackageGroupSummaryList=summaries, NextToken=page.next_token)

    def delete(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        with self.db.write() as conn:
            row = find(conn, ctx, params["ModelPackageGroupName"])
            if row is None:
                raise missing(ctx, params["ModelPackageGroupName"])
            record = records.load(row["record"])
            if _has_packages(conn, ctx, row["name_key"]):
                raise AwsError(
                    "ConflictException",
                    f"Model Package Group {record['ModelPackageGroupArn']} still contains model "
                    "packages; delete them before deleting the group.",
                )
            conn.execute("DELETE FROM model_package_groups WHERE id = ?", (row["id"],))
            tags.detach(conn, record["ModelPackageGroupArn"])
        return {}


def _has_packages(conn: sqlite3.Connection, ctx: Context, group_key: str) -> bool:
    found = conn.execute(
        "SELECT 1 FROM model_packages WHERE region = ? AND group_key = ? LIMIT 1",
        (ctx.region, group_key),
    ).fetchone()
    return found is not None


def handlers(state: State) -> dict[str, Handler]:
    return ModelPackageGroups(state).handlers()
