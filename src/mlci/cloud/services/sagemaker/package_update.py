"""UpdateModelPackage: approval, approval description, metadata, inference specifications.

Approving a version is what a reviewer does in the registry; the package records who changed
it last and when (LastModifiedBy / LastModifiedTime).
"""

from __future__ import annotations

from typing import Any

from mlci.cloud.errors import validation
from mlci.cloud.protocols.json_rpc import Handler
from mlci.cloud.service import Context
from mlci.cloud.services.sagemaker import packages, records
from mlci.cloud.services.sagemaker.state import State

MAX_ADDITIONAL_INFERENCE_SPECIFICATIONS = 15

# Members that replace the stored value when given.
_REPLACED = (
    "ModelApprovalStatus",
    "ApprovalDescription",
    "InferenceSpecification",
    "SourceUri",
    "ModelCard",
    "ModelLifeCycle",
    "ModelPackageRegistrationType",
)


def _merged_metadata(record: records.Record, params: dict[str, Any]) -> dict[str, str]:
    added: dict[str, str] = params.get("CustomerMetadataProperties") or {}
    removed: list[str] = params.get("CustomerMetadataPropertiesToRemove") or []
    both = sorted(set(added) & set(removed))
    if both:
        raise validation(
            "CustomerMetadataProperties and CustomerMetadataPropertiesToRemove both name "
            f"{', '.join(both)}; a key can be set or removed, not both"
        )
    merged = {**record.get("CustomerMetadataProperties", {}), **added}
    for key in removed:
        merged.pop(key, None)
    return merged


def _added_specifications(record: records.Record, params: dict[str, Any]) -> list[Any]:
    combined = [
        *record.get("AdditionalInferenceSpecifications", []),
        *(params.get("AdditionalInferenceSpecificationsToAdd") or []),
    ]
    if len(combined) > MAX_ADDITIONAL_INFERENCE_SPECIFICATIONS:
        raise validation(
            f"A model package can have at most {MAX_ADDITIONAL_INFERENCE_SPECIFICATIONS} "
            f"AdditionalInferenceSpecifications; this update would make {len(combined)}"
        )
    return combined


def apply_update(record: records.Record, params: dict[str, Any], versioned: bool) -> None:
    if params.get("ModelApprovalStatus") and not versioned:
        raise validation(
            "ModelApprovalStatus applies only to versioned model packages (those in a "
            f"model package group); {record['ModelPackageArn']} is unversioned"
        )
    record.update(records.copy_members(params, _REPLACED))
    metadata = _merged_metadata(record, params)
    if metadata:
        record["CustomerMetadataProperties"] = metadata
    else:
        record.pop("CustomerMetadataProperties", None)
    specifications = _added_specifications(record, params)
    if specifications:
        record["AdditionalInferenceSpecifications"] = specifications


class ModelPackageUpdate:
    def __init__(self, state: State) -> None:
        self.db = state.db
        self.clock = state.clock

    def handlers(self) -> dict[str, Handler]:
        return {"UpdateModelPackage": self.update}

    def update(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        with self.db.write() as conn:
            row = packages.require(conn, ctx, params["ModelPackageArn"])
            record = records.load(row["record"])
            apply_update(record, params, versioned=row["group_key"] is not None)
            record["LastModifiedTime"] = self.clock.now()
            record["LastModifiedBy"] = records.caller(ctx)
            conn.execute(
                "UPDATE model_packages SET approval_status = ?, record = ? WHERE id = ?",
                (record.get("ModelApprovalStatus"), records.dump(record), row["id"]),
            )
        return {"ModelPackageArn": record["ModelPackageArn"]}


def handlers(state: State) -> dict[str, Handler]:
    return ModelPackageUpdate(state).handlers()
