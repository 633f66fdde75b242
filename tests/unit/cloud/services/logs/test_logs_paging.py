"""GetLogEvents' two-way paging and FilterLogEvents' scan, over a real store."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlci.cloud.services.logs.paging import (
    Window,
    filter_group_page,
    read_stream_page,
)
from mlci.cloud.services.logs.pattern import parse_filter_pattern
from mlci.cloud.services.logs.records import LogStream, StreamSelection
from mlci.cloud.services.logs.store import LogStore


@pytest.fixture
def store(tmp_path: Path) -> LogStore:
    return LogStore(tmp_path / "logs.db")


def _stream(store: LogStore, events: list[tuple[int, str]], name: str = "s") -> LogStream:
    store.ensure_stream("g", name)
    return store.append("g", name, events)


def _messages(page: object) -> list[str]:
    return [e.message for e in page.events]  # type: ignore[attr-defined]


def test_forward_paging_ends_with_the_token_that_was_passed(store: LogStore) -> None:
    stream = _stream(store, [(t, f"e{t}") for t in range(10)])
    first = read_stream_page(store, stream.id, Window(), limit=4, start_from_head=True)
    assert _messages(first) == ["e0", "e1", "e2", "e3"]
    second = read_stream_page(store, stream.id, Window(), limit=4, token=first.forward_token)
    third = read_stream_page(store, stream.id, Window(), limit=4, token=second.forward_token)
    assert _messages(second) + _messages(third) == [f"e{t}" for t in range(4, 10)]
    end = read_stream_page(store, stream.id, Window(), limit=4, token=third.forward_token)
    assert end.events == []
    assert end.forward_token == third.forward_token


def test_new_events_appear_behind_a_forward_token_at_the_end(store: LogStore) -> None:
    stream = _stream(store, [(1, "old")])
    page = read_stream_page(store, stream.id, Window(), start_from_head=True)
    store.append("g", "s", [(2, "new")])
    after = read_stream_page(store, stream.id, Window(), token=page.forward_token)
    assert _messages(after) == ["new"]


def test_tail_read_without_token_returns_the_newest_events(store: LogStore) -> None:
    stream = _stream(store, [(t, f"e{t}") for t in range(10)])
    newest = read_stream_page(store, stream.id, Window(), limit=3)
    assert _messages(newest) == ["e7", "e8", "e9"]
    older = read_stream_page(store, stream.id, Window(), limit=3, token=newest.backward_token)
    assert _messages(older) == ["e4", "e5", "e6"]
    back = read_stream_page(store, stream.id, Window(), limit=3, token=older.forward_token)
    assert _messages(back) == ["e7", "e8", "e9"]


def test_backward_paging_ends_with_the_token_that_was_passed(store: LogStore) -> None:
    stream = _stream(store, [(t, f"e{t}") for t in range(5)])
    page = read_stream_page(store, stream.id, Window(), limit=5)
    start = read_stream_page(store, stream.id, Window(), limit=5, token=page.backward_token)
    assert start.events == []
    assert start.backward_token == page.backward_token
    resumed = read_stream_page(store, stream.id, Window(), limit=5, token=start.forward_token)
    assert _messages(resumed) == [f"e{t}" for t in range(5)]


def test_equal_timestamps_keep_ingestion_order_across_pages(store: LogStore) -> None:
    stream = _stream(store, [(7, f"same-{i}") for i in range(6)])
    seen: list[str] = []
    page = read_stream_page(store, stream.id, Window(), limit=4, start_from_head=True)
    while page.events:
        seen += _messages(page)
        page = read_stream_page(store, stream.id, Window(), limit=4, token=page.forward_token)
    assert seen == [f"same-{i}" for i in range(6)]


def test_window_start_is_inclusive_and_end_exclusive(store: LogStore) -> None:
    stream = _stream(store, [(t, f"e{t}") for t in range(10)])
    page = read_stream_page(store, stream.id, Window(3, 6), start_from_head=True)
    assert _messages(page) == ["e3", "e4", "e5"]
    tail = read_stream_page(store, stream.id, Window(3, 6))
    assert _messages(tail) == ["e3", "e4", "e5"]


def test_empty_stream_tokens_see_later_events(store: LogStore) -> None:
    stream = _stream(store, [])
    for head in (True, False):
        page = read_stream_page(store, stream.id, Window(), start_from_head=head)
        assert page.events == []
        assert page.forward_token.startswith("f/") and page.backward_token.startswith("b/")
    store.append("g", "s", [(50, "arrived")])
    later = read_stream_page(store, stream.id, Window(), token=page.forward_token)
    assert _messages(later) == ["arrived"]


def test_pages_stop_at_one_megabyte(store: LogStore) -> None:
    big = "x" * 300_000
    stream = _stream(store, [(t, big) for t in range(5)])
    page = read_stream_page(store, stream.id, Window(), start_from_head=True)
    assert len(page.events) == 3  # a fourth would pass 1,048,576 bytes
    rest = read_stream_page(store, stream.id, Window(), token=page.forward_token)
    assert len(rest.events) == 2


def test_filter_merges_streams_by_timestamp(store: LogStore) -> None:
    _stream(store, [(1, "a1 ERROR"), (4, "a4 ERROR"), (5, "a5 INFO")], name="a")
    _stream(store, [(2, "b2 ERROR"), (3, "b3 INFO")], name="b")
    group = store.group("g")
    page = filter_group_page(store, group, StreamSelection(), parse_filter_pattern("ERROR"))
    assert [(e.stream_name, e.message) for e in page.events] == [
        ("a", "a1 ERROR"),
        ("b", "b2 ERROR"),
        ("a", "a4 ERROR"),
    ]
    assert page.resume_after is None
    only_b = filter_group_page(
        store, group, StreamSelection(names=("b", "missing")), parse_filter_pattern("")
    )
    assert _messages(only_b) == ["b2 ERROR", "b3 INFO"]


def test_filter_time_range_is_inclusive_at_both_ends(store: LogStore) -> None:
    _stream(store, [(t, f"e{t}") for t in range(10)])
    page = filter_group_page(
        store,
        store.group("g"),
        StreamSelection(),
        parse_filter_pattern(""),
        start=2,
        end_inclusive=4,
    )
    assert _messages(page) == ["e2", "e3", "e4"]


def test_filter_limit_resumes_where_it_stopped(store: LogStore) -> None:
    _stream(store, [(t, f"e{t}") for t in range(7)])
    group, everything = store.group("g"), parse_filter_pattern("")
    seen: list[str] = []
    page = filter_group_page(store, group, StreamSelection(), everything, limit=3)
    pages = 1
    while page.resume_after is not None:
        seen += _messages(page)
        page = filter_group_page(
            store, group, StreamSelection(), everything, limit=3, resume_after=page.resume_after
        )
        pages += 1
    seen += _messages(page)
    assert seen == [f"e{t}" for t in range(7)]
    assert pages == 3  # the last page, with one event, says the search is complete


def test_filter_gives_up_after_its_scan_budget_and_resumes(store: LogStore) -> None:
    _stream(store, [(t, "noise") for t in range(50)] + [(99, "needle")])
    group, needle = store.group("g"), parse_filter_pattern("needle")
    page = filter_group_page(store, group, StreamSelection(), needle, scan_budget=20, chunk_size=10)
    assert page.events == [] and page.resume_after is not None  # empty but not finished
    while page.resume_after is not None and not page.events:
        page = filter_group_page(
            store,
            group,
            StreamSelection(),
            needle,
            scan_budget=20,
            chunk_size=10,
            resume_after=page.resume_after,
        )
    assert _messages(page) == ["needle"]


def test_filter_pages_stop_at_one_megabyte(store: LogStore) -> None:
    _stream(store, [(t, "y" * 400_000) for t in range(3)])
    page = filter_group_page(store, store.group("g"), StreamSelection(), parse_filter_pattern(""))
    assert len(page.events) == 2
    assert page.resume_after == page.events[-1].position
