"""AddTags / ListTags / DeleteTags, for every SageMaker resource, by ARN.

A resource module makes its resources taggable by calling `attach()` in the transaction that
creates one (with the Tags given at creation) and `detach()` in the one that deletes it; this
module needs no knowledge of resource types, so later resources (training jobs, endpoints) get
tagging by those two calls alone.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from mlci.cloud.errors import validation
from mlci.cloud.protocols.json_rpc import Handler
from mlci.cloud.service import Context
from mlci.cloud.services.sagemaker import arns
from mlci.cloud.services.sagemaker.schema import Migration
from mlci.cloud.services.sagemaker.state import State

MAX_TAGS_PER_RESOURCE = 50

MIGRATIONS = (
    Migration(
        "tags-1",
        """
        CREATE TABLE taggable_resources (resource_key TEXT PRIMARY KEY, arn TEXT NOT NULL);
        CREATE TABLE resource_tags (
            resource_key TEXT NOT NULL REFERENCES taggable_resources (resource_key)
                ON DELETE CASCADE,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            UNIQUE (resource_key, key)
        )
        """,
    ),
)


def attach(conn: sqlite3.Connection, arn: str, tags: Sequence[dict[str, str]] = ()) -> None:
    """Register a new resource as taggable, with the tags it was created with."""
    conn.execute(
        "INSERT INTO taggable_resources (resource_key, arn) VALUES (?, ?) "
        "ON CONFLICT (resource_key) DO NOTHING",
        (arns.key(arn), arn),
    )
    _put(conn, arns.key(arn), arn, tags)


def detach(conn: sqlite3.Connection, arn: str) -> None:
    """Forget a deleted resource and its tags."""
    conn.execute("DELETE FROM taggable_resources WHERE resource_key = ?", (arns.key(arn),))


def _put(
    conn: sqlite3.Connection, resource_key: str, arn: str, tags: Sequence[dict[str, str]]
) -> None:
    for tag in tags:
        if tag["Key"].lower().startswith("aws:"):
            raise validation(
                f"Tag keys starting with 'aws:' are reserved for AWS use: '{tag['Key']}'"
            )
        conn.execute(
            "INSERT INTO resource_tags (resource_key, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT (resource_key, key) DO UPDATE SET value = excluded.value",
            (resource_key, tag["Key"], tag["Value"]),
        )
    (count,) = conn.execute(
        "SELECT count(*) FROM resource_tags WHERE resource_key = ?", (resource_key,)
    ).fetchone()
    if count > MAX_TAGS_PER_RESOURCE:
        raise validation(
            f"Resource {arn} would have {count} tags; a resource can have at most "
            f"{MAX_TAGS_PER_RESOURCE}"
        )


class Tags:
    def __init__(self, state: State) -> None:
        self.db = state.db

    def handlers(self) -> dict[str, Handler]:
        return {
            "AddTags": self.add_tags,
            "ListTags": self.list_tags,
            "DeleteTags": self.delete_tags,
        }

    def add_tags(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        arn = params["ResourceArn"]
        with self.db.write() as conn:
            resource_key = self._existing(conn, ctx, arn)
            _put(conn, resource_key, arn, params["Tags"])
        return {"Tags": params["Tags"]}

    def delete_tags(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        with self.db.write() as conn:
            resource_key = self._existing(conn, ctx, params["ResourceArn"])
            conn.executemany(
                "DELETE FROM resource_tags WHERE resource_key = ? AND key = ?",
                [(resource_key, key) for key in params["TagKeys"]],
            )
        return {}

    def list_tags(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        # A resource holds at most 50 tags and MaxResults is at least 50, so one page always
        # holds them all and no NextToken is ever issued.
        with self.db.read() as conn:
            resource_key = self._existing(conn, ctx, params["ResourceArn"])
            rows = conn.execute(
                "SELECT key, value FROM resource_tags WHERE resource_key = ? ORDER BY rowid",
                (resource_key,),
            ).fetchall()
        return {"Tags": [{"Key": row["key"], "Value": row["value"]} for row in rows]}

    def _existing(self, conn: sqlite3.Connection, ctx: Context, arn: str) -> str:
        parsed = arns.parse(arn)
        if parsed is None:
            raise validation(f"'{arn}' is not a SageMaker ARN.")
        arns.check_scope(ctx, parsed)
        resource_key = arns.key(arn)
        found = conn.execute(
            "SELECT 1 FROM taggable_resources WHERE resource_key = ?", (resource_key,)
        ).fetchone()
        if found is None:
            raise validation(f"Resource {arn} does not exist.")
        return resource_key


def handlers(state: State) -> dict[str, Handler]:
    return Tags(state).handlers()
