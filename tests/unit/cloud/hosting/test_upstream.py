"""The keep-alive client the runtime forwards invocations with, against a real socket server."""

from __future__ import annotations

import asyncio
import socket

import pytest

from mlci.cloud.hosting.upstream import Pool, UpstreamError, UpstreamTimeout


class Server:
    """A tiny HTTP/1.1 server: echoes the body upper-cased; counts connections."""

    def __init__(
        self, delay: float = 0.0, close_after: int = 0, reply: bytes | None = None
    ) -> None:
        self.connections = 0
        self.delay, self.close_after, self.reply = delay, close_after, reply
        self.server: asyncio.base_events.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        served = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
                body = await reader.readexactly(length)
                await asyncio.sleep(self.delay)
                answer = self.reply or (
                    b"HTTP/1.1 200 OK\r\ncontent-type: text/csv\r\ncontent-length: %d\r\n\r\n%s"
                    % (len(body), body.upper())
                )
                writer.write(answer)
                await writer.drain()
                served += 1
                if self.close_after and served >= self.close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def close(self, pool: Pool) -> None:
        pool.close()
        assert self.server is not None
        self.server.close()
        await asyncio.sleep(0.01)  # let the handlers see EOF and close their side


def test_connections_are_kept_alive_and_reused() -> None:
    async def scenario() -> None:
        server = Server()
        pool = Pool("127.0.0.1", await server.start())
        for number in range(5):
            answer = await pool.post(
                "/invocations", [("Content-Type", "text/csv")], b"row %d" % number
            )
            assert (answer.status, answer.body) == (200, b"ROW %d" % number)
            assert answer.headers["content-type"] == "text/csv"
        assert server.connections == 1
        await server.close(pool)

    asyncio.run(scenario())


def test_a_connection_the_server_closed_while_idle_is_replaced() -> None:
    async def scenario() -> None:
        server = Server(close_after=1)
        pool = Pool("127.0.0.1", await server.start())
        first = await pool.post("/invocations", [], b"a")
        await asyncio.sleep(0.05)
        second = await pool.post("/invocations", [], b"b")
        assert (first.body, second.body) == (b"A", b"B")
        assert server.connections == 2
        await server.close(pool)

    asyncio.run(scenario())


def test_concurrent_requests_use_separate_connections() -> None:
    async def scenario() -> None:
        server = Server(delay=0.05)
        pool = Pool("127.0.0.1", await server.start())
        answers = await asyncio.gather(
            *(pool.post("/invocations", [], b"x%d" % i) for i in range(4))
        )
        assert sorted(a.body for a in answers) == [b"X0", b"X1", b"X2", b"X3"]
        assert server.connections == 4
        await server.close(pool)

    asyncio.run(scenario())


def test_a_server_that_is_not_listening_is_not_connected() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def scenario() -> None:
        with pytest.raises(UpstreamError, match="cannot connect") as raised:
            await Pool("127.0.0.1", port).post("/invocations", [], b"x")
        assert raised.value.connected is False

    asyncio.run(scenario())


def test_a_slow_server_times_out() -> None:
    async def scenario() -> None:
        server = Server(delay=1.0)
        pool = Pool("127.0.0.1", await server.start())
        with pytest.raises(UpstreamTimeout, match=r"did not answer within 0\.1 s"):
            await pool.post("/invocations", [], b"x", timeout=0.1)
        await server.close(pool)

    asyncio.run(scenario())


def test_a_malformed_answer_is_an_upstream_error() -> None:
    async def scenario() -> None:
        server = Server(reply=b"NOT HTTP AT ALL\r\n\r\n")
        pool = Pool("127.0.0.1", await server.start())
        with pytest.raises(UpstreamError, match=r"malformed response|closed the connection"):
            await pool.post("/invocations", [], b"x")
        await server.close(pool)

    asyncio.run(scenario())
