"""List* operations, written once: filters, sorting and NextToken pagination as SageMaker does.

Every List* takes the same members: NameContains (case-insensitive substring),
CreationTimeAfter / CreationTimeBefore, SortBy (an enum per operation), SortOrder
(Ascending | Descending), MaxResults and NextToken. A resource table only has to provide
`id` (INTEGER PRIMARY KEY), `name`, `creation_time` and `record` columns.

Pagination is by key, not offset: a NextToken holds the sort value and id of the last item
returned, so each item appears exactly once even while new ones are being created, and a page
deep in a large table costs one index seek. A token also carries a fingerprint of the query
that issued it; reusing it with other filters is refused instead of silently skipping items.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mlci.cloud.errors import validation
from mlci.cloud.services.sagemaker.records import timestamp

DEFAULT_MAX_RESULTS = 10


@dataclass(frozen=True)
class Listing:
    """How one resource table is listed."""

    table: str
    sort_columns: Mapping[str, str]  # SortBy value -> column
    default_sort_by: str
    default_sort_order: str  # each operation documents its own default
    # ListModels / ListEndpointConfigs document CreationTimeAfter as ">="; the registry's
    # lists as "created after".
    inclusive_time_bounds: bool = False


@dataclass(frozen=True)
class Condition:
    sql: str
    args: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Page:
    rows: list[sqlite3.Row]
    next_token: str | None


def list_page(
    conn: sqlite3.Connection,
    listing: Listing,
    params: Mapping[str, Any],
    conditions: Sequence[Condition] = (),
) -> Page:
    sort_by = params.get("SortBy") or listing.default_sort_by
    column = listing.sort_columns.get(sort_by)
    if column is None:
        raise validation(f"SortBy '{sort_by}' is not supported here")
    descending = (params.get("SortOrder") or listing.default_sort_order) == "Descending"
    where = [*conditions, *_filters(listing, params)]
    fingerprint = _fingerprint(listing.table, sort_by, descending, where)
    if params.get("NextToken"):
        after = decode_token(params["NextToken"], fingerprint)
        where.append(Condition(f"({column}, id) {'<' if descending else '>'} (?, ?)", tuple(after)))
    limit = params.get("MaxResults") or DEFAULT_MAX_RESULTS
    direction = "DESC" if descending else "ASC"
    sql = (
        f"SELECT * FROM {listing.table} WHERE {' AND '.join(c.sql for c in where) or '1'} "
        f"ORDER BY {column} {direction}, id {direction} LIMIT ?"
    )
    rows = conn.execute(sql, [*(a for c in where for a in c.args), limit + 1]).fetchall()
    if len(rows) <= limit:
        return Page(rows, None)
    last = rows[limit - 1]
    return Page(rows[:limit], encode_token([last[column], last["id"]], fingerprint))


def _filters(listing: Listing, params: Mapping[str, Any]) -> list[Condition]:
    found = []
    if params.get("NameContains"):
        found.append(
            Condition("name LIKE ? ESCAPE '\\'", (f"%{_escape_like(params['NameContains'])}%",))
        )
    after = timestamp(params, "CreationTimeAfter")
    if after is not None:
        found.append(
            Condition(f"creation_time {'>=' if listing.inclusive_time_bounds else '>'} ?", (after,))
        )
    before = timestamp(params, "CreationTimeBefore")
    if before is not None:
        found.append(
            Condition(
                f"creation_time {'<=' if listing.inclusive_time_bounds else '<'} ?", (before,)
            )
        )
    return found


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _fingerprint(table: str, sort_by: str, descending: bool, where: Sequence[Condition]) -> str:
    query = [table, sort_by, descending, [[c.sql, list(c.args)] for c in where]]
    return hashlib.sha256(json.dumps(query).encode()).hexdigest()[:16]


def encode_token(position: list[Any], fingerprint: str) -> str:
    payload = json.dumps({"after": position, "query": fingerprint}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_token(token: str, fingerprint: str) -> list[Any]:
    """The position a NextToken resumes after; refused if malformed or from another query."""
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        position, issued_for = payload["after"], payload["query"]
    except (ValueError, TypeError, KeyError):
        raise validation(
            "The NextToken is not valid: it was not issued by this operation"
        ) from None
    if issued_for != fingerprint or not isinstance(position, list):
        raise validation(
            "The NextToken is not valid for this request: repeat the filters, SortBy and "
            "SortOrder of the request that returned it"
        )
    return position
