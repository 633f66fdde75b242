"""Names of the S3 operations this cloud does not implement, read from botocore's model, so
that an unsupported request is refused with an error naming it ("s3.PutBucketPolicy")."""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass

from mlci.cloud.service_models import service_model

# Query parameters that are operation arguments, not sub-resources selecting an operation.
_NOT_SUBRESOURCES = frozenset({"list-type", "select-type", "x-id"})


@dataclass(frozen=True)
class _Entry:
    method: str
    level: str  # service, bucket or object
    query_keys: frozenset[str]
    name: str
    deprecated: bool


@functools.lru_cache(maxsize=1)
def _entries() -> tuple[_Entry, ...]:
    model = service_model("s3")
    entries = []
    for name in model.operation_names:
        operation = model.operation_model(name)
        path, _, query = operation.http["requestUri"].partition("?")
        level = "object" if "{Key+}" in path else "bucket" if "{Bucket}" in path else "service"
        keys = frozenset(item.split("=", 1)[0] for item in query.split("&") if item)
        entries.append(
            _Entry(operation.http["method"], level, keys, name, bool(operation.deprecated))
        )
    return tuple(entries)


@functools.lru_cache(maxsize=1)
def subresources() -> frozenset[str]:
    """Query keys that select an operation (`acl`, `tagging`, `policy`, ...)."""
    keys: set[str] = set()
    for entry in _entries():
        keys |= entry.query_keys
    return frozenset(keys - _NOT_SUBRESOURCES)


def operation_name(method: str, level: str, query: Collection[str]) -> str:
    """The S3 operation a request with this method, level and query keys would be."""
    candidates = [
        e
        for e in _entries()
        if e.method == method and e.level == level and e.query_keys <= set(query)
    ]
    if not candidates:
        return f"{method} on {'an object' if level == 'object' else 'a ' + level}"
    most_specific = max(len(e.query_keys) for e in candidates)
    best = [e for e in candidates if len(e.query_keys) == most_specific]
    best.sort(key=lambda e: (e.deprecated, _list_rank(e.name, "id" in query)))
    return best[0].name


def _list_rank(name: str, has_id: bool) -> int:
    # GET ?analytics is ListBucketAnalyticsConfigurations without an id, Get... with one.
    is_list = name.startswith("List")
    return 0 if is_list != has_id else 1
