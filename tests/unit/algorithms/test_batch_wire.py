"""The batch wire between the router and a model server: what goes in comes out, in any chunks."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlci.algorithms import batch_wire
from mlci.algorithms.batch_wire import WireError

NAMES = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz-ABCXYZ019"), min_size=1, max_size=20)
VALUES = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=40).filter(
    lambda value: not value.startswith(" ")  # `name: value` is split at the first ": "
)
HEADERS = st.lists(st.tuples(NAMES, VALUES), max_size=4)
BODIES = st.binary(max_size=300)


@given(st.lists(st.tuples(HEADERS, BODIES), max_size=6), st.lists(st.integers(1, 50)))
def test_request_frames_survive_any_chunking(
    items: list[tuple[list[tuple[str, str]], bytes]], cuts: list[int]
) -> None:
    wire = batch_wire.frame([batch_wire.encode_request_item(h, b) for h, b in items]) * 2
    buffer, payloads, offset = bytearray(), [], 0
    for size in [*cuts, len(wire)]:
        buffer += wire[offset : offset + size]
        offset += size
        payloads += batch_wire.split_frames(buffer)
    assert not buffer
    assert [batch_wire.decode_requests(p) for p in payloads] == [items, items]


@given(st.lists(st.tuples(st.integers(100, 599), HEADERS, BODIES), max_size=6))
def test_response_items_round_trip(items: list[tuple[int, list[tuple[str, str]], bytes]]) -> None:
    payload = batch_wire.frame([batch_wire.encode_response_item(*item) for item in items])[4:]
    assert batch_wire.decode_responses(payload) == items


def test_a_frame_announcing_more_than_the_limit_is_refused() -> None:
    buffer = bytearray(struct.pack(">I", batch_wire.MAX_FRAME_BYTES + 1))
    with pytest.raises(WireError, match="larger than"):
        batch_wire.split_frames(buffer)


def test_an_incomplete_frame_waits_for_the_rest() -> None:
    wire = batch_wire.frame([batch_wire.encode_request_item([], b"abc")])
    buffer = bytearray(wire[:-1])
    assert batch_wire.split_frames(buffer) == [] and len(buffer) == len(wire) - 1


@pytest.mark.parametrize(
    "payload",
    [
        b"\x00\x00",  # shorter than an item's fixed part
        struct.pack(">IH", 10, 0) + b"short",  # body cut short
        struct.pack(">IH", 0, 5) + b"ab",  # header block cut short
        struct.pack(">IH", 0, 7) + b"no-sep!",  # a header line without ": "
    ],
)
def test_malformed_items_are_wire_errors(payload: bytes) -> None:
    with pytest.raises(WireError):
        batch_wire.decode_requests(payload)


def test_headers_too_large_for_an_item_are_refused_when_encoding() -> None:
    with pytest.raises(ValueError, match="64 KiB"):
        batch_wire.encode_request_item([("x", "v" * 70_000)], b"")
