"""Listing pages over an in-memory key set: prefixes, delimiters, resumption."""

from __future__ import annotations

from mlci.cloud.services.s3 import walk

KEYS = sorted(
    k.encode() for k in ["a", "b/1", "b/2", "b/3", "c", "d/x/1", "d/y", "e/", "é", "\x00", "~"]
)


def _fetch(lower: bytes, inclusive: bool, upper: bytes, limit: int) -> list[bytes]:
    found = [k for k in KEYS if (k >= lower if inclusive else k > lower) and k < upper]
    return found[:limit]


def _page(
    prefix: str = "", delimiter: str | None = None, after: bytes | None = None, n: int = 1000
):  # type: ignore[no-untyped-def]
    return walk.list_page(
        _fetch, lambda k: k, prefix.encode(), delimiter.encode() if delimiter else None, after, n
    )


def test_without_delimiter_all_keys_in_byte_order() -> None:
    page = _page()
    assert page.items == KEYS
    assert not page.truncated and page.next_after is None


def test_delimiter_rolls_keys_into_common_prefixes() -> None:
    page = _page(delimiter="/")
    assert page.items == [b"\x00", b"a", b"c", b"~", "é".encode()]
    assert page.prefixes == [b"b/", b"d/", b"e/"]


def test_prefix_with_delimiter() -> None:
    page = _page(prefix="d/", delimiter="/")
    assert page.items == [b"d/y"]
    assert page.prefixes == [b"d/x/"]


def test_pages_resume_without_repeating_or_skipping() -> None:
    seen: list[bytes] = []
    after = None
    while True:
        page = _page(delimiter="/", after=after, n=2)
        seen += page.items + page.prefixes
        if not page.truncated:
            break
        after = page.next_after
    assert sorted(seen) == sorted([b"\x00", b"a", b"c", b"~", "é".encode(), b"b/", b"d/", b"e/"])
    assert len(seen) == len(set(seen))


def test_exact_page_size_is_not_truncated() -> None:
    page = _page(prefix="b/", n=3)
    assert page.items == [b"b/1", b"b/2", b"b/3"] and not page.truncated


def test_max_keys_zero_lists_nothing() -> None:
    page = _page(n=0)
    assert page.items == [] and not page.truncated


def test_resume_after_a_common_prefix_skips_its_group() -> None:
    assert walk.resume_after(b"b/", b"", b"/") == b"b/" + walk.AFTER_ALL
    assert walk.resume_after(b"b/1", b"", b"/") == b"b/1"
    assert _page(delimiter="/", after=walk.resume_after(b"b/", b"", b"/")).items[0] == b"c"
