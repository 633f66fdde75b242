"""A keep-alive HTTP/1.1 client for the model servers, on the cloud's event loop.

Every invocation is one `POST /invocations` to a model server on 127.0.0.1. Opening a
connection per request would cost more than the prediction, so each server has a `Pool` of
idle connections that requests reuse. A reused connection may have been closed by the server
in the meantime (uvicorn drops idle keep-alive connections after a few seconds); `Pool.post`
then retries once on a new connection. Any other failure is `UpstreamError`, which tells
whether the server may have seen the request: predictions have no side effects, so the
router may send it to another server either way.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from typing import cast

import httptools

MAX_IDLE_CONNECTIONS = 64
# The SageMaker runtime gives a container 60 s to answer an invocation.
RESPONSE_TIMEOUT_SECONDS = 60.0
CONNECT_TIMEOUT_SECONDS = 5.0


class UpstreamError(Exception):
    def __init__(self, message: str, connected: bool) -> None:
        super().__init__(message)
        # False when no connection could be made: the server is down, not merely slow.
        self.connected = connected


class UpstreamTimeout(UpstreamError):
    """The server took the request but did not answer in time (the model is too slow)."""


@dataclass
class UpstreamResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


class _Connection(asyncio.Protocol):
    """One connection; at most one request at a time (no pipelining)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[UpstreamResponse] | None = None
        self._response = UpstreamResponse(0)
        self._body: list[bytes] = []
        self._header_name = b""
        self.keep_alive = True

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._fail(f"the model server sent a malformed response: {error}")
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail("the model server closed the connection")

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self._response.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        response = self._response
        response.status = self._parser.get_status_code()
        response.body = b"".join(self._body)
        self.keep_alive = self._parser.should_keep_alive()
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(response)

    # used by Pool
    def send(
        self, data: bytes, loop: asyncio.AbstractEventLoop
    ) -> asyncio.Future[UpstreamResponse]:
        self._response, self._body = UpstreamResponse(0), []
        waiter = self._waiter = loop.create_future()
        if self.transport is None or self.closed:
            self._fail("the connection to the model server is closed")
        else:
            self.transport.write(data)
        return waiter

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _fail(self, message: str) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(UpstreamError(message, connected=True))


class Pool:
    """Idle connections to one model server."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._idle: deque[_Connection] = deque()
        self._closed = False

    async def post(
        self,
        path: str,
        headers: list[tuple[str, str]],
        body: bytes,
        timeout: float = RESPONSE_TIMEOUT_SECONDS,
    ) -> UpstreamResponse:
        data = _request_bytes(path, self.host, self.port, headers, body)
        connection = self._take_idle()
        if connection is not None:
            try:
                return await self._exchange(connection, data, timeout)
            except UpstreamTimeout:
                raise
            except UpstreamError:
                pass  # most likely closed by the server while idle: once more, on a new one
        connection = await self._connect()
        return await self._exchange(connection, data, timeout)

    def close(self) -> None:
        self._closed = True
        while self._idle:
            self._idle.popleft().close()

    def _take_idle(self) -> _Connection | None:
        while self._idle:
            connection = self._idle.pop()
            if not connection.closed:
                return connection
        return None

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            _, connection = await asyncio.wait_for(
                loop.create_connection(_Connection, self.host, self.port),
                CONNECT_TIMEOUT_SECONDS,
            )
        except (OSError, TimeoutError) as error:
            raise UpstreamError(f"cannot connect to the model server: {error}", False) from None
        return connection

    async def _exchange(
        self, connection: _Connection, data: bytes, timeout: float
    ) -> UpstreamResponse:
        loop = asyncio.get_running_loop()
        waiter = connection.send(data, loop)
        timer = loop.call_later(timeout, _expire, waiter, timeout)
        try:
            response = await waiter
        except BaseException:
            connection.close()
            raise
        finally:
            timer.cancel()
        if (
            connection.keep_alive
            and not connection.closed
            and not self._closed
            and (len(self._idle) < MAX_IDLE_CONNECTIONS)
        ):
            self._idle.append(connection)
        else:
            connection.close()
        return response


def _expire(waiter: asyncio.Future[UpstreamResponse], timeout: float) -> None:
    if not waiter.done():
        message = f"the model server did not answer within {timeout:g} s"
        waiter.set_exception(UpstreamTimeout(message, connected=True))


def _request_bytes(
    path: str, host: str, port: int, headers: list[tuple[str, str]], body: bytes
) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines.append(f"Content-Length: {len(body)}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head + body
