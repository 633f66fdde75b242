"""Endpoints: Create / Describe / List / Update / UpdateEndpointWeightsAndCapacities / Delete.

An endpoint runs its configuration's production variants as model-server processes
(`mlci.cloud.hosting`). Create and Update start the deployment and wait for it (up to
DEPLOY_WAIT_SECONDS) before they answer, so a client that polls DescribeEndpoint sees the final
status at its first poll: Creating -> InService (or Failed, with FailureReason), and for an
update Updating -> InService on the new configuration, or back to InService on the old one with
FailureReason saying why the new one did not deploy (blue/green: the old fleet serves until
the new one is healthy). Each outcome is written by the deployment thread to the endpoint's row
(matched by row id, so an endpoint deleted and created again is never confused with its
predecessor). At start-up, endpoints that were serving are deployed again (`restore`).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from typing import Any

from mlci.cloud.errors import AwsError, validation
from mlci.cloud.hosting.deployer import Hosting, Key, Outcome, hosting_for
from mlci.cloud.protocols.json_rpc import Handler
from mlci.cloud.service import Context
from mlci.cloud.services.sagemaker import arns, endpoint_configs, records, tags
from mlci.cloud.services.sagemaker import endpoint_records as er
from mlci.cloud.services.sagemaker.listing import Condition, Listing, list_page
from mlci.cloud.services.sagemaker.records import Record, timestamp
from mlci.cloud.services.sagemaker.schema import Migration
from mlci.cloud.services.sagemaker.state import State

log = logging.getLogger("mlci.cloud.hosting")
RESOURCE_TYPE = "endpoint"
DEPLOY_WAIT_SECONDS = 60.0
RESTART_REASON = "interrupted by a restart of mlci cloud"

MIGRATIONS = (
    Migration(
        "endpoints-1",
        """
        CREATE TABLE endpoints (
            id INTEGER PRIMARY KEY,
            region TEXT NOT NULL,
            name_key TEXT NOT NULL,
            name TEXT NOT NULL,
            creation_time REAL NOT NULL,
            last_modified_time REAL NOT NULL,
            status TEXT NOT NULL,
            record TEXT NOT NULL,
            deployment TEXT,
            UNIQUE (region, name_key)
        );
        CREATE INDEX endpoints_by_time ON endpoints (region, creation_time, id);
        CREATE INDEX endpoints_by_name ON endpoints (region, name, id);
        CREATE INDEX endpoints_by_status ON endpoints (region, status, id)
        """,
    ),
)

LISTING = Listing(
    table="endpoints",
    sort_columns={"Name": "name", "CreationTime": "creation_time", "Status": "status"},
    default_sort_by="CreationTime",
    default_sort_order="Descending",
)


def find(conn: sqlite3.Connection, ctx: Context, name: str) -> sqlite3.Row | None:
    return records.find_named(conn, "endpoints", ctx.region, name)


def missing(ctx: Context, name: str) -> AwsError:
    return validation(f'Could not find endpoint "{arns.build(ctx, RESOURCE_TYPE, name)}".')


def _require(conn: sqlite3.Connection, ctx: Context, name: str) -> sqlite3.Row:
    row = find(conn, ctx, name)
    if row is None:
        raise missing(ctx, name)
    return row


def _config(conn: sqlite3.Connection, ctx: Context, name: str) -> Record:
    row = endpoint_configs.find(conn, ctx, name)
    if row is None:
        raise endpoint_configs.missing(ctx, name)
    return records.load(row["record"])


def _key(region: str, name: str) -> Key:
    return (region, name.lower())


class Endpoints:
    def __init__(self, state: State) -> None:
        self.db = state.db
        self.clock = state.clock
        self._home = state.home
        self._hosting: Hosting | None = None

    @property
    def hosting(self) -> Hosting:
        if self._hosting is None:  # started on first use: most clouds never host anything
            self._hosting = hosting_for(self._home)
        return self._hosting

    def handlers(self) -> dict[str, Handler]:
        return {
            "CreateEndpoint": self.create,
            "DescribeEndpoint": self.describe,
            "ListEndpoints": self.list,
            "UpdateEndpoint": self.update,
            "UpdateEndpointWeightsAndCapacities": self.update_weights_and_capacities,
            "DeleteEndpoint": self.delete,
        }

    def create(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        name, config_name = params["EndpointName"], params["EndpointConfigName"]
        arn = arns.build(ctx, RESOURCE_TYPE, name)
        with self.db.write() as conn:
            if find(conn, ctx, name) is not None:
                raise validation(f'Cannot create already existing endpoint "{arn}".')
            deployment = er.new_deployment(conn, ctx, _config(conn, ctx, config_name))
            now = self.clock.now()
            record = er.creating(name, arn, config_name, params, now)
            cursor = conn.execute(
                "INSERT INTO endpoints (region, name_key, name, creation_time, last_modified_time, "
                "status, record) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (ctx.region, name.lower(), name, now, now, er.CREATING, records.dump(record)),
            )
            row_id = int(cursor.lastrowid or 0)
            tags.attach(conn, arn, params.get("Tags") or [])
        future = self.hosting.deploy(
            _key(ctx.region, name),
            name,
            er.plan(deployment),
            self._on_created(row_id, deployment),
        )
        _wait(future)
        return {"EndpointArn": arn}

    def update(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        name, config_name = params["EndpointName"], params["EndpointConfigName"]
        with self.db.write() as conn:
            row = _require(conn, ctx, name)
            record = records.load(row["record"])
            _check_updatable(record)
            retained = er.retained_properties(record, params)
            deployment = er.new_deployment(conn, ctx, _config(conn, ctx, config_name), retained)
            deployment_config = (
                None if params.get("RetainDeploymentConfig") else params.get("DeploymentConfig")
            )
            updated = er.updating(record, config_name, self.clock.now(), deployment_config)
            self._store(conn, row["id"], updated)
        future = self.hosting.deploy(
            _key(ctx.region, name),
            name,
            er.plan(deployment),
            self._on_updated(row["id"], deployment),
        )
        _wait(future)
        return {"EndpointArn": record["EndpointArn"]}

    def update_weights_and_capacities(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        name = params["EndpointName"]
        changes = {c["VariantName"]: c for c in params["DesiredWeightsAndCapacities"]}
        with self.db.write() as conn:
            row = _require(conn, ctx, name)
            record = records.load(row["record"])
            _check_updatable(record)
            deployment = json.loads(row["deployment"])
            _check_changes(record, deployment, changes)
            self._store(conn, row["id"], er.updating(record, None, self.clock.now()))
        weights = {n: c["DesiredWeight"] for n, c in changes.items() if "DesiredWeight" in c}
        counts = {
            n: c["DesiredInstanceCount"] for n, c in changes.items() if "DesiredInstanceCount" in c
        }
        resized = er.resized(deployment, changes)
        future = self.hosting.reconfigure(
            _key(ctx.region, name), weights, counts, self._on_updated(row["id"], resized)
        )
        _wait(future)
        return {"EndpointArn": record["EndpointArn"]}

    def describe(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        row = find(self.db.conn, ctx, params["EndpointName"])
        if row is None:
            raise missing(ctx, params["EndpointName"])
        return records.load(row["record"])

    def list(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        page = list_page(self.db.conn, LISTING, params, _list_conditions(ctx, params))
        summaries = [
            records.project(records.load(r["record"]), "EndpointSummary") for r in page.rows
        ]
        return records.present(Endpoints=summaries, NextToken=page.next_token)

    def delete(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        with self.db.write() as conn:
            row = _require(conn, ctx, params["EndpointName"])
            conn.execute("DELETE FROM endpoints WHERE id = ?", (row["id"],))
            tags.detach(conn, records.load(row["record"])["EndpointArn"])
        self.hosting.remove(_key(ctx.region, row["name"]))
        return {}

    def restore(self) -> None:
        """After a restart: serve again what served; fail what was being created."""
        rows = self.db.query("SELECT * FROM endpoints")
        keep = set()
        for row in rows:
            status = row["status"]
            if status in (er.IN_SERVICE, er.UPDATING) and row["deployment"]:
                deployment = json.loads(row["deployment"])
                keep.add(deployment["Id"])
                if status == er.UPDATING:
                    self._update_row(
                        row["id"], lambda r, now: er.rolled_back(r, _interrupted(r), now)
                    )
                key = _key(row["region"], row["name"])
                self.hosting.expect(key, row["name"])
                self.hosting.deploy(
                    key, row["name"], er.plan(deployment), self._on_restored(row["id"])
                )
            elif status in (er.CREATING, er.UPDATING):
                self._update_row(
                    row["id"], lambda r, now: er.failed_creation(r, RESTART_REASON, now)
                )
        if rows or (self._home / "hosting").exists():
            self.hosting.sweep(keep)

    # outcomes, recorded by the deployment thread
    def _on_created(self, row_id: int, deployment: er.Deployment) -> Callable[[Outcome], None]:
        def record_outcome(outcome: Outcome) -> None:
            if outcome.succeeded:
                self._update_row(row_id, lambda r, now: er.serving(r, deployment, now), deployment)
            else:
                reason = outcome.reason or "the deployment failed"
                self._update_row(row_id, lambda r, now: er.failed_creation(r, reason, now))

        return record_outcome

    def _on_updated(self, row_id: int, deployment: er.Deployment) -> Callable[[Outcome], None]:
        def record_outcome(outcome: Outcome) -> None:
            if outcome.succeeded:
                self._update_row(row_id, lambda r, now: er.serving(r, deployment, now), deployment)
            else:
                reason = outcome.reason or "the deployment failed"
                self._update_row(row_id, lambda r, now: er.rolled_back(r, reason, now))

        return record_outcome

    def _on_restored(self, row_id: int) -> Callable[[Outcome], None]:
        def record_outcome(outcome: Outcome) -> None:
            if not outcome.succeeded:
                reason = f"The endpoint could not be restarted: {outcome.reason}"
                self._update_row(row_id, lambda r, now: er.failed_creation(r, reason, now))

        return record_outcome

    def _update_row(
        self,
        row_id: int,
        change: Callable[[Record, float], Record],
        deployment: er.Deployment | None = None,
    ) -> None:
        with self.db.write() as conn:
            row = conn.execute("SELECT record FROM endpoints WHERE id = ?", (row_id,)).fetchone()
            if row is None:
                return  # deleted meanwhile
            self._store(
                conn, row_id, change(records.load(row["record"]), self.clock.now()), deployment
            )

    def _store(
        self,
        conn: sqlite3.Connection,
        row_id: int,
        record: Record,
        deployment: er.Deployment | None = None,
    ) -> None:
        conn.execute(
            "UPDATE endpoints SET record = ?, status = ?, last_modified_time = ?, "
            "deployment = coalesce(?, deployment) WHERE id = ?",
            (
                records.dump(record),
                record["EndpointStatus"],
                record["LastModifiedTime"],
                json.dumps(deployment) if deployment is not None else None,
                row_id,
            ),
        )


def _wait(future: Any) -> None:
    """Wait for a deployment, but no longer than DEPLOY_WAIT_SECONDS: after that it goes on in
    the background and DescribeEndpoint shows its progress."""
    try:
        future.result(timeout=DEPLOY_WAIT_SECONDS)
    except TimeoutError:
        log.warning("deployment still running after %.0f s; answering", DEPLOY_WAIT_SECONDS)


def _check_updatable(record: Record) -> None:
    status = record["EndpointStatus"]
    if status == er.IN_SERVICE:
        return
    if status == er.FAILED:
        raise validation(
            f'Cannot update endpoint "{record["EndpointArn"]}" because it is in status Failed; '
            "delete it and create it again."
        )
    raise validation(f'Cannot update in-progress endpoint "{record["EndpointArn"]}".')


def _check_changes(
    record: Record, deployment: er.Deployment, changes: dict[str, dict[str, Any]]
) -> None:
    known = {v["VariantName"] for v in deployment["Variants"]}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise validation(
            f'The variant(s) "{unknown}" is/are not present in the endpoint '
            f'"{record["EndpointArn"]}".'
        )
    for name, change in changes.items():
        if "DesiredWeight" not in change and "DesiredInstanceCount" not in change:
            raise validation(
                f"Variant {name}: give DesiredWeight or DesiredInstanceCount (or both)."
            )
        if change.get("DesiredInstanceCount") == 0:
            raise validation(
                f"Variant {name}: DesiredInstanceCount must be at least 1 for an "
                "instance-based variant."
            )


def _list_conditions(ctx: Context, params: dict[str, Any]) -> list[Condition]:
    conditions = [Condition("region = ?", (ctx.region,))]
    if params.get("StatusEquals"):
        conditions.append(Condition("status = ?", (params["StatusEquals"],)))
    after = timestamp(params, "LastModifiedTimeAfter")
    if after is not None:
        conditions.append(Condition("last_modified_time > ?", (after,)))
    before = timestamp(params, "LastModifiedTimeBefore")
    if before is not None:
        conditions.append(Condition("last_modified_time < ?", (before,)))
    return conditions


def _interrupted(record: Record) -> str:
    pending = (record.get("PendingDeploymentSummary") or {}).get("EndpointConfigName")
    target = f" to endpoint configuration {pending}" if pending else ""
    return (
        f"The update{target} was {RESTART_REASON}; the endpoint serves its previous configuration."
    )


def handlers(state: State) -> dict[str, Handler]:
    endpoints = Endpoints(state)
    endpoints.restore()
    return endpoints.handlers()
