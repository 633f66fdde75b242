"""Resource records: each SageMaker resource is stored as the JSON of its Describe* answer.

Keeping the whole answer in one column (next to the indexed columns that queries filter and
sort on) makes Describe one indexed SELECT and List a projection of the same record onto the
summary shape botocore declares, so the two can never disagree.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from mlci.cloud.errors import validation
from mlci.cloud.service import Context
from mlci.cloud.service_models import service_model

Record = dict[str, Any]


def dump(record: Mapping[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)


def load(text: str) -> Record:
    record: Record = json.loads(text)
    return record


def find_named(conn: sqlite3.Connection, table: str, region: str, name: str) -> sqlite3.Row | None:
    """The row of `table` (a resource table with `region` and `name_key` columns) named `name`:
    SageMaker names are unique per region regardless of case."""
    row: sqlite3.Row | None = conn.execute(
        f"SELECT * FROM {table} WHERE region = ? AND name_key = ?", (region, name.lower())
    ).fetchone()
    return row


def present(**fields: Any) -> Record:
    """The fields that have a value: SageMaker omits members it has nothing for."""
    return {name: value for name, value in fields.items() if value is not None}


def copy_members(params: Mapping[str, Any], names: tuple[str, ...]) -> Record:
    return {name: params[name] for name in names if params.get(name) is not None}


def caller(ctx: Context) -> Record:
    """The UserContext SageMaker records as CreatedBy / LastModifiedBy."""
    return {"IamIdentity": {"Arn": f"arn:aws:iam::{ctx.account_id}:user/mlci"}}


@functools.lru_cache(maxsize=64)
def _members(shape_name: str) -> tuple[str, ...]:
    return tuple(service_model("sagemaker").shape_for(shape_name).members)


def project(record: Mapping[str, Any], shape_name: str) -> Record:
    """`record` cut down to the members of a botocore shape (e.g. a List* summary)."""
    return {name: record[name] for name in _members(shape_name) if name in record}


def timestamp(params: Mapping[str, Any], field: str) -> float | None:
    """A timestamp parameter as epoch seconds. botocore sends numbers on the JSON protocol;
    other clients may send ISO 8601 text, which is accepted too."""
    value = params.get(field)
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:  # a time without a zone is UTC, as everywhere in AWS
            return moment.replace(tzinfo=moment.tzinfo or UTC).timestamp()
    raise validation(f"Value '{value}' at '{field}' is not a valid timestamp")
