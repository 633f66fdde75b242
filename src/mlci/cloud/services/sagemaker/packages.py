"""Model packages: Create / Describe / Delete ModelPackage, and finding one by name or ARN.

A package registered into a group is *versioned*: its name is the group's, its ARN ends in
`/<version>`, and versions are drawn from the group's counter inside the same BEGIN IMMEDIATE
transaction that inserts the row, so concurrent registrations get 1, 2, 3, ... each once.
A package created with ModelPackageName instead is *unversioned* (the Marketplace kind).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from mlci.cloud.errors import AwsError, validation
from mlci.cloud.protocols.json_rpc import Handler
from mlci.cloud.service import Context
from mlci.cloud.services.sagemaker import arns, groups, records, tags
from mlci.cloud.services.sagemaker.schema import Migration
from mlci.cloud.services.sagemaker.state import State

RESOURCE_TYPE = "model-package"

MIGRATIONS = (
    Migration(
        "model-packages-1",
        """
        CREATE TABLE model_packages (
            id INTEGER PRIMARY KEY,
            region TEXT NOT NULL,
            group_key TEXT,
            version INTEGER,
            name TEXT NOT NULL,
            name_key TEXT NOT NULL,
            approval_status TEXT,
            creation_time REAL NOT NULL,
            client_token TEXT,
            record TEXT NOT NULL,
            UNIQUE (region, group_key, version)
        );
        CREATE UNIQUE INDEX model_packages_unversioned ON model_packages (region, name_key)
            WHERE group_key IS NULL;
        CREATE UNIQUE INDEX model_packages_by_token
            ON model_packages (region, group_key, client_token)
            WHERE client_token IS NOT NULL;
        CREATE INDEX model_packages_by_status
            ON model_packages (region, group_key, approval_status, creation_time, id);
        CREATE INDEX model_packages_by_group
            ON model_packages (region, group_key, creation_time, id);
        CREATE INDEX model_packages_by_time ON model_packages (region, creation_time, id);
        CREATE INDEX model_packages_by_name ON model_packages (region, name, id)
        """,
    ),
)

# Members of CreateModelPackage stored as given in the package's record.
_COPIED = (
    "ModelPackageDescription",
    "InferenceSpecification",
    "ValidationSpecification",
    "SourceAlgorithmSpecification",
    "MetadataProperties",
    "ModelMetrics",
    "Domain",
    "Task",
    "SamplePayloadUrl",
    "CustomerMetadataProperties",
    "DriftCheckBaselines",
    "AdditionalInferenceSpecifications",
    "SkipModelValidation",
    "SourceUri",
    "SecurityConfig",
    "ModelCard",
    "ModelLifeCycle",
    "ManagedStorageType",
)


def _parse_reference(ctx: Context, name_or_arn: str) -> tuple[str, int | None]:
    """(name, version) from `grp/3`, `name`, or the ARN of either."""
    reference = arns.resource_id(ctx, name_or_arn, RESOURCE_TYPE)
    name, _, version = reference.partition("/")
    if not version:
        return name, None
    if not version.isdigit():
        raise validation(f"'{name_or_arn}' does not name a model package version")
    return name, int(version)


def find(conn: sqlite3.Connection, ctx: Context, name_or_arn: str) -> sqlite3.Row | None:
    name, version = _parse_reference(ctx, name_or_arn)
    if version is None:
        sql = "SELECT * FROM model_packages WHERE region = ? AND name_key = ? AND group_key IS NULL"
        row: sqlite3.Row | None = conn.execute(sql, (ctx.region, name.lower())).fetchone()
    else:
        sql = "SELECT * FROM model_packages WHERE region = ? AND group_key = ? AND version = ?"
        row = conn.execute(sql, (ctx.region, name.lower(), version)).fetchone()
    return row


def missing(ctx: Context, name_or_arn: str) -> AwsError:
    name, version = _parse_reference(ctx, name_or_arn)
    resource_id = name if version is None else f"{name}/{version}"
    return validation(f"ModelPackage {arns.build(ctx, RESOURCE_TYPE, resource_id)} does not exist.")


def require(conn: sqlite3.Connection, ctx: Context, name_or_arn: str) -> sqlite3.Row:
    row = find(conn, ctx, name_or_arn)
    if row is None:
        raise missing(ctx, name_or_arn)
    return row


class ModelPackages:
    def __init__(self, state: State) -> None:
        self.db = state.db
        self.clock = state.clock

    def handlers(self) -> dict[str, Handler]:
        return {
            "CreateModelPackage": self.create,
            "DescribeModelPackage": self.describe,
            "DeleteModelPackage": self.delete,
        }

    def create(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        group_ref, name = params.get("ModelPackageGroupName"), params.get("ModelPackageName")
        if group_ref and name:
            raise validation(
                "Both ModelPackageName and ModelPackageGroupName are provided in the input. "
                "Cannot determine which one to use."
            )
        if not group_ref and not name:
            raise validation(
                "Missing ARN. Give ModelPackageGroupName (a versioned package) "
                "or ModelPackageName (an unversioned one)."
            )
        record = self._base_record(params, ctx)
        with self.db.write() as conn:
            # stamped inside the transaction, so CreationTime order is version order
            record["CreationTime"] = self.clock.now()
            if group_ref:
                arn = self._insert_version(conn, ctx, group_ref, params, record)
            else:
                arn = self._insert_unversioned(conn, ctx, str(name), params, record)
        return {"ModelPackageArn": arn}

    def _base_record(self, params: dict[str, Any], ctx: Context) -> records.Record:
        return {
            **records.copy_members(params, _COPIED),
            "CreatedBy": records.caller(ctx),
            "ModelPackageStatus": "Completed",
            "ModelPackageStatusDetails": {"ValidationStatuses": [], "ImageScanStatuses": []},
            "CertifyForMarketplace": bool(params.get("CertifyForMarketplace", False)),
            "ModelPackageRegistrationType": params.get(
                "ModelPackageRegistrationType", "Registered"
            ),
            **records.present(ModelApprovalStatus=params.get("ModelApprovalStatus")),
        }

    def _insert_version(
        self,
        conn: sqlite3.Connection,
        ctx: Context,
        group_ref: str,
        params: dict[str, Any],
        record: records.Record,
    ) -> str:
        group = groups.find(conn, ctx, group_ref)
        if group is None:
            raise validation("Model Package Group does not exist.")
        token = params.get("ClientToken")
        if token is not None:
            earlier = _by_client_token(conn, ctx, group["name_key"], token)
            if earlier is not None:  # a retry of a registration that already succeeded
                return earlier
        (version,) = conn.execute(
            "UPDATE model_package_groups SET last_version = last_version + 1 WHERE id = ? "
            "RETURNING last_version",
            (group["id"],),
        ).fetchone()
        group_name = records.load(group["record"])["ModelPackageGroupName"]
        record.update(
            ModelPackageName=group_name,
            ModelPackageGroupName=group_name,
            ModelPackageVersion=version,
            ModelPackageArn=arns.build(ctx, RESOURCE_TYPE, f"{group_name}/{version}"),
        )
        record.setdefault("ModelApprovalStatus", "PendingManualApproval")
        _insert(conn, ctx, record, (group["name_key"], version, token), params.get("Tags") or [])
        return str(record["ModelPackageArn"])

    def _insert_unversioned(
        self,
        conn: sqlite3.Connection,
        ctx: Context,
        name: str,
        params: dict[str, Any],
        record: records.Record,
    ) -> str:
        arn = arns.build(ctx, RESOURCE_TYPE, name)
        if find(conn, ctx, name) is not None:
            raise validation(f'Cannot create already existing model package "{arn}".')
        record.update(ModelPackageName=name, ModelPackageArn=arn)
        _insert(conn, ctx, record, (None, None, None), params.get("Tags") or [])
        return arn

    def describe(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        row = require(self.db.conn, ctx, params["ModelPackageName"])
        return records.load(row["record"])

    def delete(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        with self.db.write() as conn:
            row = require(conn, ctx, params["ModelPackageName"])
            conn.execute("DELETE FROM model_packages WHERE id = ?", (row["id"],))
            tags.detach(conn, records.load(row["record"])["ModelPackageArn"])
        return {}


def _by_client_token(
    conn: sqlite3.Connection, ctx: Context, group_key: str, token: str
) -> str | None:
    row = conn.execute(
        "SELECT record FROM model_packages WHERE region = ? AND group_key = ? AND client_token = ?",
        (ctx.region, group_key, token),
    ).fetchone()
    return None if row is None else str(records.load(row["record"])["ModelPackageArn"])


def _insert(
    conn: sqlite3.Connection,
    ctx: Context,
    record: records.Record,
    placement: tuple[str | None, int | None, str | None],  # group key, version, client token
    package_tags: list[dict[str, str]],
) -> None:
    group_key, version, token = placement
    conn.execute(
        "INSERT INTO model_packages (region, group_key, version, name, name_key, approval_status, "
        "creation_time, client_token, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            ctx.region,
            group_key,
            version,
            record["ModelPackageName"],
            record["ModelPackageName"].lower(),
            record.get("ModelApprovalStatus"),
            record["CreationTime"],
            token,
            records.dump(record),
        ),
    )
    tags.attach(conn, record["ModelPackageArn"], package_tags)


def handlers(state: State) -> dict[str, Handler]:
    return ModelPackages(state).handlers()
