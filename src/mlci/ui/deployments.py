"""The configurations each endpoint has served, as the dashboard saw them, and roll-back.

SageMaker's API does not say which configuration an endpoint served before its current one,
and deploy scripts (ours included) delete the old configuration and model once an update
succeeds. So the dashboard keeps its own record: whenever it sees an endpoint InService on a
configuration it has not recorded for it, it stores that configuration and its models as
described then. Rolling back means: the newest recorded configuration other than the current
one; if it still exists, UpdateEndpoint to it, else create its models (from the recorded
descriptions, under new names) and a copy of it first. Only deployments seen while `mlci ui`
was running are known.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any

from mlci.sqlite import Database
from mlci.ui.endpoints import read_snapshot

IN_SERVICE = "InService"
MAX_NAME = 63


class RollbackError(Exception):
    """A roll-back that cannot be done or did not take, with the reason for the user."""


@dataclass(frozen=True)
class Deployment:
    id: int
    endpoint: str
    config_name: str
    first_seen: float
    snapshot: dict[str, Any]


def _row(row: Any) -> Deployment:
    return Deployment(
        row["id"],
        row["endpoint"],
        row["config_name"],
        row["first_seen"],
        json.loads(row["snapshot"]),
    )


class DeploymentRecord:
    def __init__(self, db: Database) -> None:
        self.db = db

    def history(self, endpoint: str) -> list[Deployment]:
        """Newest first."""
        rows = self.db.query(
            "SELECT * FROM deployments WHERE endpoint = ? ORDER BY id DESC", (endpoint,)
        )
        return [_row(row) for row in rows]

    def latest(self, endpoint: str) -> Deployment | None:
        row = self.db.query_one(
            "SELECT * FROM deployments WHERE endpoint = ? ORDER BY id DESC LIMIT 1", (endpoint,)
        )
        return _row(row) if row else None

    def snapshot_of(self, endpoint: str, config_name: str) -> dict[str, Any] | None:
        row = self.db.query_one(
            "SELECT * FROM deployments WHERE endpoint = ? AND config_name = ?"
            " ORDER BY id DESC LIMIT 1",
            (endpoint, config_name),
        )
        return _row(row).snapshot if row else None

    def observe(self, sm: Any, described: dict[str, Any]) -> bool:
        """Record what `described` (a DescribeEndpoint answer) serves, if new; True if so."""
        from botocore.exceptions import ClientError

        if described.get("EndpointStatus") != IN_SERVICE:
            return False
        name, config_name = described["EndpointName"], described["EndpointConfigName"]
        latest = self.latest(name)
        if latest is not None and latest.config_name == config_name:
            return False
        try:
            snapshot = read_snapshot(sm, config_name)
        except ClientError:
            return False  # deleted already: nothing left to record
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO deployments (endpoint, config_name, first_seen, snapshot)"
                " VALUES (?, ?, ?, ?)",
                (name, config_name, time.time(), json.dumps(snapshot, default=str)),
            )
        return True

    def previous(self, endpoint: str, current_config: str) -> Deployment | None:
        for deployment in self.history(endpoint):
            if deployment.config_name != current_config:
                return deployment
        return None


def rollback(sm: Any, record: DeploymentRecord, endpoint: str) -> tuple[str, str]:
    """Put `endpoint` back on its previous configuration; (that config, the one now serving).

    RollbackError when there is nothing to go back to, or the update did not take."""
    from botocore.exceptions import ClientError

    try:
        described = sm.describe_endpoint(EndpointName=endpoint)
    except ClientError as exc:
        raise RollbackError(f"cannot read endpoint {endpoint}: {_message(exc)}") from None
    if described["EndpointStatus"] != IN_SERVICE:
        raise RollbackError(
            f"endpoint {endpoint} is {described['EndpointStatus']}; only an InService "
            "endpoint can be rolled back"
        )
    record.observe(sm, described)
    current = described["EndpointConfigName"]
    previous = record.previous(endpoint, current)
    if previous is None:
        raise RollbackError(
            f"no earlier configuration of endpoint {endpoint} is known: the dashboard records "
            "only the deployments it has seen"
        )
    try:
        target = _usable_config(sm, previous, endpoint)
        sm.update_endpoint(EndpointName=endpoint, EndpointConfigName=target)
        after = sm.describe_endpoint(EndpointName=endpoint)
    except ClientError as exc:
        raise RollbackError(f"the roll-back failed: {_message(exc)}") from None
    if after.get("EndpointConfigName") != target or after.get("FailureReason"):
        raise RollbackError(
            f"endpoint {endpoint} still runs {after.get('EndpointConfigName')}: the roll-back "
            f"to {target} did not deploy ({after.get('FailureReason') or 'no reason given'})"
        )
    record.observe(sm, after)
    return previous.config_name, target


def _message(exc: Any) -> str:
    return str(exc.response.get("Error", {}).get("Message") or exc)


def _usable_config(sm: Any, previous: Deployment, endpoint: str) -> str:
    """The previous configuration's name if it still exists as recorded, else a re-creation."""
    from botocore.exceptions import ClientError

    recorded = previous.snapshot["config"]
    try:
        existing = sm.describe_endpoint_config(EndpointConfigName=previous.config_name)
        if abs(existing["CreationTime"].timestamp() - float(recorded["CreationTime"])) < 1e-3:
            return previous.config_name
    except ClientError:
        pass
    return recreate(sm, previous.snapshot, endpoint)


def recreate(sm: Any, snapshot: dict[str, Any], endpoint: str) -> str:
    """A new configuration like the recorded one, with its models re-made where deleted."""
    from botocore.exceptions import ClientError

    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime())
    base = _name_prefix(endpoint, len(f"-rollback-{stamp}-00"))
    variants = []
    for index, given in enumerate(snapshot["config"]["ProductionVariants"]):
        model = given["ModelName"]
        try:
            sm.describe_model(ModelName=model)
        except ClientError:
            recorded = snapshot["models"].get(model)
            if not recorded:
                raise RollbackError(
                    f"model {model} of the previous configuration was deleted and its "
                    "description was never recorded"
                ) from None
            new_name = f"{base}-rollback-{stamp}-{index}"
            sm.create_model(**{**_project(sm, recorded, "CreateModelInput"), "ModelName": new_name})
            model = new_name
        variants.append({**_project(sm, given, "ProductionVariant"), "ModelName": model})
    config_name = f"{base}-rollback-{stamp}"
    fields = _project(sm, snapshot["config"], "CreateEndpointConfigInput")
    fields.pop("Tags", None)
    sm.create_endpoint_config(
        **{**fields, "EndpointConfigName": config_name, "ProductionVariants": variants}
    )
    return config_name


def _project(sm: Any, described: dict[str, Any], shape: str) -> dict[str, Any]:
    members = sm.meta.service_model.shape_for(shape).members
    return {key: value for key, value in described.items() if key in members}


def _name_prefix(endpoint: str, suffix_length: int) -> str:
    """`endpoint` cut so that a suffix fits SageMaker's 63 characters, ending alphanumeric."""
    return re.sub(r"-+$", "", endpoint[: MAX_NAME - suffix_length]) or "endpoint"
