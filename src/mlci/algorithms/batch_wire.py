"""The wire between the cloud's router and a model server's batch socket.

Each one-row invocation sent as its own HTTP request costs the cloud and the model server
more than the prediction does: a request to write and parse on both sides, a response to
write and parse, and a wake-up of each process per message. So small invocations travel to a
server in batches over one Unix-socket connection: the router sends whatever has queued up
while the previous batch was being answered, and the server answers the whole batch with
one write. A batch of one is what a lone request gets; nothing waits for a batch to fill.

A frame is a 4-byte big-endian length, then its items. Request item: body length (4 bytes),
header block length (2), the header block (`name: value` lines, latin-1, CRLF-separated),
the body. Response item: status (2), header block length (2), body length (4), header block,
body. Answers come in the order of the items. This module imports nothing heavy: both the
cloud and the model servers load it.
"""

from __future__ import annotations

import struct

_LENGTH = struct.Struct(">I")
_REQUEST_ITEM = struct.Struct(">IH")
_RESPONSE_ITEM = struct.Struct(">HHI")
MAX_FRAME_BYTES = 64 * 1024 * 1024  # far above what a batch of small bodies can reach

Headers = list[tuple[str, str]]


class WireError(Exception):
    """A frame that does not parse: the connection is unusable and must be closed."""


def encode_request_item(headers: Headers, body: bytes) -> bytes:
    block = _header_block(headers)
    return _REQUEST_ITEM.pack(len(body), len(block)) + block + body


def encode_response_item(status: int, headers: Headers, body: bytes) -> bytes:
    block = _header_block(headers)
    return _RESPONSE_ITEM.pack(status, len(block), len(body)) + block + body


def frame(items: list[bytes]) -> bytes:
    payload = b"".join(items)
    return _LENGTH.pack(len(payload)) + payload


def split_frames(buffer: bytearray) -> list[bytes]:
    """Remove every complete frame from the front of `buffer` and return their payloads."""
    frames: list[bytes] = []
    offset = 0
    while len(buffer) - offset >= _LENGTH.size:
        (size,) = _LENGTH.unpack_from(buffer, offset)
        if size > MAX_FRAME_BYTES:
            raise WireError(f"a frame of {size} bytes is larger than {MAX_FRAME_BYTES}")
        end = offset + _LENGTH.size + size
        if len(buffer) < end:
            break
        frames.append(bytes(buffer[offset + _LENGTH.size : end]))
        offset = end
    del buffer[:offset]
    return frames


def decode_requests(payload: bytes) -> list[tuple[Headers, bytes]]:
    items: list[tuple[Headers, bytes]] = []
    offset = 0
    while offset < len(payload):
        body_size, block_size = _unpack(_REQUEST_ITEM, payload, offset)
        offset += _REQUEST_ITEM.size
        block, offset = _take(payload, offset, block_size)
        body, offset = _take(payload, offset, body_size)
        items.append((_parse_block(block), body))
    return items


def decode_responses(payload: bytes) -> list[tuple[int, Headers, bytes]]:
    items: list[tuple[int, Headers, bytes]] = []
    offset = 0
    while offset < len(payload):
        status, block_size, body_size = _unpack(_RESPONSE_ITEM, payload, offset)
        offset += _RESPONSE_ITEM.size
        block, offset = _take(payload, offset, block_size)
        body, offset = _take(payload, offset, body_size)
        items.append((status, _parse_block(block), body))
    return items


def _header_block(headers: Headers) -> bytes:
    block = "\r\n".join(f"{name}: {value}" for name, value in headers).encode("latin-1")
    if len(block) > 0xFFFF:
        raise ValueError("headers of one item exceed 64 KiB")
    return block


def _parse_block(block: bytes) -> Headers:
    if not block:
        return []
    headers: Headers = []
    for line in block.decode("latin-1").split("\r\n"):
        name, separator, value = line.partition(": ")
        if not separator:
            raise WireError(f"a header line without ': ': {line[:80]!r}")
        headers.append((name, value))
    return headers


def _unpack(layout: struct.Struct, payload: bytes, offset: int) -> tuple[int, ...]:
    if len(payload) - offset < layout.size:
        raise WireError("an item is cut short")
    return layout.unpack_from(payload, offset)


def _take(payload: bytes, offset: int, size: int) -> tuple[bytes, int]:
    end = offset + size
    if end > len(payload):
        raise WireError("an item is cut short")
    return payload[offset:end], end
