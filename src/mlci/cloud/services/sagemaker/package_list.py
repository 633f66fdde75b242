"""ListModelPackages: a group's versions, or the account's unversioned packages, or both.

As SageMaker documents it: with ModelPackageGroupName, the versions of that group; without it,
ModelPackageType decides and defaults to Unversioned. The common benchmark query (one group,
one approval status, newest first, MaxResults 1) is a single seek on
model_packages_by_status.
"""

from __future__ import annotations

from typing import Any

from mlci.cloud.protocols.json_rpc import Handler
from mlci.cloud.service import Context
from mlci.cloud.services.sagemaker import arns, groups, records
from mlci.cloud.services.sagemaker.listing import Condition, Listing, list_page
from mlci.cloud.services.sagemaker.state import State

LISTING = Listing(
    table="model_packages",
    sort_columns={"Name": "name", "CreationTime": "creation_time"},
    default_sort_by="CreationTime",
    default_sort_order="Ascending",
)


def _conditions(params: dict[str, Any], ctx: Context) -> list[Condition] | None:
    """The WHERE conditions for the filters, or None when they can match nothing."""
    conditions = [Condition("region = ?", (ctx.region,))]
    kind = params.get("ModelPackageType")
    group_ref = params.get("ModelPackageGroupName")
    if group_ref:
        if kind == "Unversioned":  # packages in a group are versioned by definition
            return None
        group_name = arns.resource_id(ctx, group_ref, groups.RESOURCE_TYPE)
        conditions.append(Condition("group_key = ?", (group_name.lower(),)))
    elif (kind or "Unversioned") == "Unversioned":
        conditions.append(Condition("group_key IS NULL"))
    elif kind == "Versioned":
        conditions.append(Condition("group_key IS NOT NULL"))
    if params.get("ModelApprovalStatus"):
        conditions.append(Condition("approval_status = ?", (params["ModelApprovalStatus"],)))
    return conditions


def _summary(record: records.Record) -> records.Record:
    summary = records.project(record, "ModelPackageSummary")
    if "ModelPackageVersion" in summary:  # SageMaker lists versions by group and number only
        summary.pop("ModelPackageName", None)
    return summary


class ModelPackageList:
    def __init__(self, state: State) -> None:
        self.db = state.db

    def handlers(self) -> dict[str, Handler]:
        return {"ListModelPackages": self.list}

    def list(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        conditions = _conditions(params, ctx)
        if conditions is None:
            return {"ModelPackageSummaryList": []}
        page = list_page(self.db.conn, LISTING, params, conditions)
        summaries = [_summary(records.load(row["record"])) for row in page.rows]
        return records.present(ModelPackageSummaryList=summaries, NextToken=page.next_token)


def handlers(state: State) -> dict[str, Handler]:
    return ModelPackageList(state).handlers()
