"""Small invocations to one model server, batched over its Unix socket (see batch_wire).

One connection per server, one batch in flight on it: a request that arrives while a batch
is being answered joins the next one, which is sent as soon as the answer is in. So a lone
request goes at once, and under load the batches grow by themselves to what arrived during
one round trip; nothing waits for a batch to fill.

Failures are `UpstreamError`s as the HTTP pool raises them, so the runtime treats both alike:
no connection (`connected=False`: the server is down), a connection lost with answers
outstanding (`connected=True`; predictions have no side effects, so it is sent again), and
`UpstreamTimeout` for an item not answered in time.
"""

from __future__ import annotations

import asyncio
import socket
from collections import deque

from mlci.algorithms.batch_wire import (
    Headers,
    WireError,
    decode_responses,
    encode_request_item,
    frame,
    split_frames,
)
from mlci.cloud.hosting.upstream import (
    CONNECT_TIMEOUT_SECONDS,
    RESPONSE_TIMEOUT_SECONDS,
    UpstreamError,
    UpstreamResponse,
    UpstreamTimeout,
)

MAX_BATCH_ITEMS = 64
MAX_BATCH_BODY_BYTES = 4096  # larger bodies go over HTTP, predicted on the server's thread

_Waiter = asyncio.Future[UpstreamResponse]


class BatchChannel:
    def __init__(self, address: str) -> None:
        self.address = address
        self._queue: deque[tuple[bytes, _Waiter]] = deque()
        self._in_flight: list[_Waiter] = []
        self._protocol: _Protocol | None = None
        self._connecting: asyncio.Future[None] | None = None
        self._closed = False

    async def invoke(
        self, headers: Headers, body: bytes, timeout: float = RESPONSE_TIMEOUT_SECONDS
    ) -> UpstreamResponse:
        loop = asyncio.get_running_loop()
        if self._protocol is None or self._protocol.lost:
            await self._connect(loop)
        waiter: _Waiter = loop.create_future()
        self._queue.append((encode_request_item(headers, body), waiter))
        if not self._in_flight:
            self._send_next()
        timer = loop.call_later(timeout, _expire, waiter, timeout)
        try:
            return await waiter
        finally:
            timer.cancel()

    def close(self) -> None:
        self._closed = True
        if self._protocol is not None:
            self._protocol.close()

    async def _connect(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._closed:
            raise UpstreamError("the model server's batch channel is closed", connected=False)
        if self._connecting is None:  # one connection attempt, shared by whoever waits for it
            self._connecting = loop.create_future()
            try:
                _, protocol = await asyncio.wait_for(self._open(loop), CONNECT_TIMEOUT_SECONDS)
                self._protocol = protocol
                self._connecting.set_result(None)
            except (OSError, TimeoutError) as error:
                failure = UpstreamError(f"cannot connect to the model server: {error}", False)
                self._connecting.set_exception(failure)
                self._connecting.exception()  # retrieved: waiters get it below, none may wait
                raise failure from None
            finally:
                self._connecting = None
        else:
            await asyncio.shield(self._connecting)

    async def _open(
        self, loop: asyncio.AbstractEventLoop
    ) -> tuple[asyncio.BaseTransport, _Protocol]:
        # Connected by Python's socket module: uvloop takes an abstract name (leading NUL)
        # for a C string and would connect to "" instead.
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            await loop.sock_connect(sock, self.address)
        except BaseException:
            sock.close()
            raise
        return await loop.create_unix_connection(lambda: _Protocol(self), sock=sock)

    def _send_next(self) -> None:
        protocol = self._protocol
        if protocol is None or protocol.lost:
            self._fail_all("the connection to the model server is closed")
            return
        items: list[bytes] = []
        while self._queue and len(items) < MAX_BATCH_ITEMS:
            item, waiter = self._queue.popleft()
            if waiter.done():
                continue  # timed out, or its caller went away, before it was sent
            items.append(item)
            self._in_flight.append(waiter)
        if items:
            protocol.send(frame(items))

    def _answered(self, payload: bytes) -> None:
        answers = decode_responses(payload)
        if len(answers) != len(self._in_flight):
            raise WireError(f"{len(answers)} answers to a batch of {len(self._in_flight)}")
        waiters, self._in_flight = self._in_flight, []
        for waiter, (status, headers, body) in zip(waiters, answers, strict=True):
            if not waiter.done():
                fields = {name.lower(): value for name, value in headers}
                waiter.set_result(UpstreamResponse(status, fields, body))
        if self._queue:
            self._send_next()

    def _fail_all(self, message: str) -> None:
        waiters = self._in_flight + [waiter for _, waiter in self._queue]
        self._in_flight, self._queue = [], deque()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_exception(UpstreamError(message, connected=True))


class _Protocol(asyncio.Protocol):
    def __init__(self, channel: BatchChannel) -> None:
        self._channel = channel
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def send(self, data: bytes) -> None:
        assert self._transport is not None
        self._transport.write(data)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        try:
            for payload in split_frames(self._buffer):
                self._channel._answered(payload)
        except WireError as error:
            self._channel._fail_all(f"the model server sent a malformed batch: {error}")
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self._channel._fail_all("the model server closed the connection")

    def close(self) -> None:
        self.lost = True
        if self._transport is not None:
            self._transport.close()


def _expire(waiter: _Waiter, timeout: float) -> None:
    if not waiter.done():
        message = f"the model server did not answer within {timeout:g} s"
        waiter.set_exception(UpstreamTimeout(message, connected=True))
