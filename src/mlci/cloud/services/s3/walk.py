"""One page of a listing: keys in order, rolled up into common prefixes at a delimiter.

Keys are UTF-8 bytes. No UTF-8 text contains the byte 0xFF, so `p + b"\\xff"` is greater than
every key that starts with `p` and less than every later key that does not: it bounds a
prefix range, and skips a whole common prefix in one indexed range query.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
AFTER_ALL = b"\xff"

# fetch(lower, inclusive, upper, limit): items with lower < key (<= if inclusive) < upper.
Fetch = Callable[[bytes, bool, bytes, int], list[T]]


@dataclass
class Page(Generic[T]):
    items: list[T] = field(default_factory=list)
    prefixes: list[bytes] = field(default_factory=list)
    truncated: bool = False
    next_after: bytes | None = None  # exclusive lower bound where the next page starts
    last_entry: bytes | None = None  # the last key or prefix on this page (v1's NextMarker)


def common_prefix(key: bytes, prefix: bytes, delimiter: bytes | None) -> bytes | None:
    """The common prefix `key` rolls up into, or None if it is listed itself."""
    if not delimiter:
        return None
    at = key.find(delimiter, len(prefix))
    return key[: at + len(delimiter)] if at >= 0 else None


def resume_after(marker: bytes, prefix: bytes, delimiter: bytes | None) -> bytes:
    """Where a listing continues after `marker`: past its whole group if it is a prefix."""
    if common_prefix(marker, prefix, delimiter) == marker:
        return marker + AFTER_ALL
    return marker


def list_page(
    fetch: Fetch[T],
    key_of: Callable[[T], bytes],
    prefix: bytes,
    delimiter: bytes | None,
    after: bytes | None,
    max_keys: int,
) -> Page[T]:
    page: Page[T] = Page()
    if max_keys <= 0:
        return page
    entries = _entries(fetch, key_of, prefix, delimiter, after, max_keys + 1)
    for count, (entry_key, item) in enumerate(entries):
        if count == max_keys:
            page.truncated = True
            break
        if item is None:
            page.prefixes.append(entry_key)
            page.next_after = entry_key + AFTER_ALL
        else:
            page.items.append(item)
            page.next_after = entry_key
        page.last_entry = entry_key
    if not page.truncated:
        page.next_after = None
    return page


def _entries(
    fetch: Fetch[T],
    key_of: Callable[[T], bytes],
    prefix: bytes,
    delimiter: bytes | None,
    after: bytes | None,
    batch: int,
) -> Iterator[tuple[bytes, T | None]]:
    """(key, item) for listed keys and (prefix, None) for common prefixes, in order."""
    upper = prefix + AFTER_ALL
    lower, inclusive = prefix, True
    if after is not None and after >= prefix:
        lower, inclusive = after, False
    while True:
        items = fetch(lower, inclusive, upper, batch)
        for item in items:
            key = key_of(item)
            rolled = common_prefix(key, prefix, delimiter)
            if rolled is not None:
                yield rolled, None
                lower, inclusive = rolled + AFTER_ALL, False
                break  # skip the rest of this prefix with a fresh range query
            yield key, item
            lower, inclusive = key, False
        else:
            if len(items) < batch:
                return
