"""The one List* implementation: filters, both orders, keyset NextToken paging."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlci.cloud.errors import AwsError
from mlci.cloud.services.sagemaker.listing import Condition, Listing, list_page

LISTING = Listing(
    table="things",
    sort_columns={"Name": "name", "CreationTime": "creation_time"},
    default_sort_by="CreationTime",
    default_sort_order="Ascending",
)
INCLUSIVE = Listing(**{**LISTING.__dict__, "inclusive_time_bounds": True})


def make_table(rows: list[tuple[str, float]]) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.row_factory = sqlite3.Row
    conn.execute(
        "CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT, creation_time REAL, "
        "kind TEXT, record TEXT)"
    )
    for name, created in rows:
        conn.execute(
            "INSERT INTO things (name, creation_time, kind, record) VALUES (?, ?, 'a', '{}')",
            (name, created),
        )
    return conn


def pages(conn: sqlite3.Connection, listing: Listing, **params: Any) -> Iterator[list[int]]:
    token = None
    while True:
        page = list_page(conn, listing, {**params, **({"NextToken": token} if token else {})})
        yield [row["id"] for row in page.rows]
        token = page.next_token
        if token is None:
            return


def every_id(conn: sqlite3.Connection, listing: Listing = LISTING, **params: Any) -> list[int]:
    return [i for page in pages(conn, listing, **params) for i in page]


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(["a", "b", "c"]), st.sampled_from([1.0, 2.0, 2.5])),
        max_size=30,
    ),
    page_size=st.integers(min_value=1, max_value=7),
    sort_by=st.sampled_from(["Name", "CreationTime"]),
    order=st.sampled_from(["Ascending", "Descending"]),
)
def test_paging_returns_every_row_once_in_sort_order(
    rows: list[tuple[str, float]], page_size: int, sort_by: str, order: str
) -> None:
    conn = make_table(rows)
    listed = every_id(conn, SortBy=sort_by, SortOrder=order, MaxResults=page_size)
    column = 0 if sort_by == "Name" else 1
    expected = sorted(range(1, len(rows) + 1), key=lambda i: (rows[i - 1][column], i))
    assert listed == (expected if order == "Ascending" else expected[::-1])
    assert all(len(page) <= page_size for page in pages(conn, LISTING, MaxResults=page_size))


def test_ten_per_page_by_default() -> None:
    conn = make_table([("n", float(i)) for i in range(25)])
    assert [len(page) for page in pages(conn, LISTING)] == [10, 10, 5]


def test_rows_created_while_paging_are_neither_repeated_nor_skipped_behind() -> None:
    conn = make_table([("n", float(i)) for i in range(6)])
    first = list_page(conn, LISTING, {"MaxResults": 3})
    conn.execute("INSERT INTO things (name, creation_time, record) VALUES ('n', 99.0, '{}')")
    rest = list_page(conn, LISTING, {"MaxResults": 10, "NextToken": first.next_token})
    assert [r["id"] for r in first.rows + rest.rows] == [1, 2, 3, 4, 5, 6, 7]


def test_name_contains_is_a_case_insensitive_literal_substring() -> None:
    conn = make_table([("Churn-A", 1), ("churn_b", 2), ("xchurnx", 3), ("ch%rn", 4), ("other", 5)])
    assert every_id(conn, NameContains="CHURN") == [1, 2, 3]
    assert every_id(conn, NameContains="n_b") == [2]
    assert every_id(conn, NameContains="h%r") == [4]


def test_time_bounds_are_exclusive_or_inclusive_as_the_operation_documents() -> None:
    conn = make_table([("n", 1.0), ("n", 2.0), ("n", 3.0)])
    bounds = {"CreationTimeAfter": 1.0, "CreationTimeBefore": 3.0}
    assert every_id(conn, LISTING, **bounds) == [2]
    assert every_id(conn, INCLUSIVE, **bounds) == [1, 2, 3]
    assert every_id(conn, LISTING, CreationTimeAfter="1970-01-01T00:00:01.5Z") == [2, 3]


def test_caller_conditions_are_applied_and_fingerprinted() -> None:
    conn = make_table([("n", 1.0), ("n", 2.0), ("n", 3.0)])
    only_a = [Condition("kind = ?", ("a",))]
    page = list_page(conn, LISTING, {"MaxResults": 1}, only_a)
    assert [r["id"] for r in page.rows] == [1]
    with pytest.raises(AwsError, match="not valid for this request"):
        list_page(conn, LISTING, {"NextToken": page.next_token}, [Condition("kind = ?", ("b",))])
    assert list_page(conn, LISTING, {"NextToken": page.next_token}, only_a).rows[0]["id"] == 2


@pytest.mark.parametrize(
    "token", ["%%%", "bm90IGpzb24", "W10", "eyJhZnRlciI6IDF9", "eyJhZnRlciI6MSwicXVlcnkiOiJ4In0"]
)
def test_tokens_not_issued_by_this_query_are_refused(token: str) -> None:
    conn = make_table([("n", 1.0)])
    with pytest.raises(AwsError, match="NextToken is not valid") as caught:
        list_page(conn, LISTING, {"NextToken": token})
    assert caught.value.code == "ValidationException"


def test_a_sort_key_the_table_does_not_have_is_refused() -> None:
    with pytest.raises(AwsError, match="SortBy 'Status' is not supported here"):
        list_page(make_table([]), LISTING, {"SortBy": "Status"})
