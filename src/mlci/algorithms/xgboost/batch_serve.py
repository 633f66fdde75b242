"""A model server's batch socket: small invocations from the cloud's router, many per message.

See `mlci.algorithms.batch_wire` for why and for the format. Each item is answered exactly as
`POST /invocations` answers it (same invoke, same statuses and messages); a batch is answered
with one write, in item order. Only small bodies come this way (the router sends larger ones
over HTTP, where a worker thread predicts them), so items are predicted on the event loop.

The socket lives in Linux's abstract namespace: no file to clean up after a `kill -9`, and no
path-length limit from deep state directories. Elsewhere there is no batch socket and the
router uses HTTP alone.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import sys
from collections.abc import Callable

from mlci.algorithms.batch_wire import (
    Headers,
    WireError,
    decode_requests,
    encode_response_item,
    frame,
    split_frames,
)
from mlci.algorithms.errors import ModelError

Invoke = Callable[[bytes, str | None, str | None], tuple[bytes, str]]
TEXT = "text/plain; charset=utf-8"


def bind_batch_socket() -> tuple[socket.socket, str] | None:
    """A listening abstract Unix socket and its name, or None where there are none."""
    if not sys.platform.startswith("linux"):
        return None
    name = f"mlci-model-{os.getpid()}-{secrets.token_hex(6)}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind("\0" + name)
    sock.listen(128)
    return sock, name


class BatchAnswerer:
    def __init__(self, invoke: Invoke, max_payload_bytes: int) -> None:
        self.invoke = invoke
        self.max_payload_bytes = max_payload_bytes

    def answer(self, headers: Headers, body: bytes) -> bytes:
        fields = {name.lower(): value for name, value in headers}
        if len(body) > self.max_payload_bytes:
            message = f"Request body exceeds the maximum payload of {self.max_payload_bytes} bytes"
            return encode_response_item(413, [("Content-Type", TEXT)], message.encode())
        try:
            answer, content_type = self.invoke(
                body, fields.get("content-type"), fields.get("accept")
            )
        except ModelError as error:
            return encode_response_item(
                error.status, [("Content-Type", TEXT)], error.message.encode()
            )
        except Exception:  # as the HTTP server answers an unexpected failure
            return encode_response_item(500, [("Content-Type", TEXT)], b"Internal Server Error")
        return encode_response_item(200, [("Content-Type", content_type)], answer)


class BatchProtocol(asyncio.Protocol):
    def __init__(self, answerer: BatchAnswerer) -> None:
        self._answerer = answerer
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        assert self._transport is not None
        self._buffer += data
        try:
            for payload in split_frames(self._buffer):
                items = decode_requests(payload)
                answers = [self._answerer.answer(headers, body) for headers, body in items]
                self._transport.write(frame(answers))
        except WireError:
            self._transport.close()  # a client that speaks something else: nothing to answer


async def serve_batches(sock: socket.socket, answerer: BatchAnswerer) -> asyncio.AbstractServer:
    loop = asyncio.get_running_loop()
    return await loop.create_unix_server(lambda: BatchProtocol(answerer), sock=sock)
