"""Which orbs resolve natively, each parsed once per process into a Namespace."""

from __future__ import annotations

import functools

from mlci.pipeline.definitions import Namespace
from mlci.pipeline.orbs import continuation, path_filtering

_SOURCES = {
    path_filtering.FULL_NAME: path_filtering.ORB_YAML,
    continuation.FULL_NAME: continuation.ORB_YAML,
}
NATIVE_ORB_NAMES = tuple(sorted(_SOURCES))


@functools.cache
def native_orb(full_name: str) -> Namespace | None:
    """The namespace of a natively implemented orb (`namespace/name`), or None."""
    source = _SOURCES.get(full_name)
    if source is None:
        return None
    from mlci.pipeline.namespaces import parse_orb_namespace

    return parse_orb_namespace(full_name, source)
