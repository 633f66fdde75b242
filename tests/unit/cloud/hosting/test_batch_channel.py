"""The router's batch channel against the model servers' real batch socket code."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import Awaitable, Callable

import pytest

from mlci.algorithms.batch_wire import encode_response_item, frame
from mlci.algorithms.errors import ModelError
from mlci.algorithms.xgboost import batch_serve
from mlci.algorithms.xgboost.batch_serve import BatchAnswerer, BatchProtocol, bind_batch_socket
from mlci.cloud.hosting.batch_channel import BatchChannel
from mlci.cloud.hosting.upstream import UpstreamError, UpstreamTimeout

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="abstract Unix sockets"
)
CSV = [("Content-Type", "text/csv"), ("Accept", "text/csv")]


def shout(body: bytes, content_type: str | None, accept: str | None) -> tuple[bytes, str]:
    """A model that upper-cases its input, and refuses b"bad" as a model does."""
    if body == b"bad":
        raise ModelError("Unable to evaluate payload provided: bad row", 400)
    if body == b"crash":
        raise RuntimeError("a bug in the model server")
    return body.upper(), f"{content_type}; answered-as={accept}"


class CountingProtocol(BatchProtocol):
    frames: list[int] = []  # items per chunk the server received

    def data_received(self, data: bytes) -> None:
        CountingProtocol.frames.append(data.count(b"Content-Type: text/csv"))
        super().data_received(data)


async def serve(
    factory: Callable[[], asyncio.Protocol] | None = None,
) -> tuple[asyncio.AbstractServer, str]:
    bound = bind_batch_socket()
    assert bound is not None
    sock, name = bound
    answerer = BatchAnswerer(shout, max_payload_bytes=1000)
    loop = asyncio.get_running_loop()
    server = await loop.create_unix_server(factory or (lambda: BatchProtocol(answerer)), sock=sock)
    return server, "\0" + name


def run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(test())


def test_concurrent_invocations_share_batches_and_each_gets_its_own_answer() -> None:
    async def scenario() -> None:
        answerer = BatchAnswerer(shout, max_payload_bytes=1000)
        CountingProtocol.frames = []
        server, address = await serve(lambda: CountingProtocol(answerer))
        channel = BatchChannel(address)
        bodies = [f"row {i}".encode() for i in range(40)] + [b"bad", b"crash", b"x" * 1001]
        answers = await asyncio.gather(*(channel.invoke(CSV, body) for body in bodies))
        for body, answer in zip(bodies[:40], answers, strict=False):
            assert (answer.status, answer.body) == (200, body.upper())
            assert answer.headers["content-type"] == "text/csv; answered-as=text/csv"
        bad, crash, large = answers[40:]
        assert bad.status == 400 and bad.body == b"Unable to evaluate payload provided: bad row"
        assert crash.status == 500 and crash.body == b"Internal Server Error"
        assert large.status == 413 and b"maximum payload of 1000 bytes" in large.body
        assert len(CountingProtocol.frames) < len(bodies) / 4  # they went in a few batches
        assert sum(CountingProtocol.frames) == len(bodies)
        channel.close()
        server.close()

    run(scenario)


def test_a_lone_request_is_sent_at_once_and_the_connection_is_reused() -> None:
    async def scenario() -> None:
        server, address = await serve()
        channel = BatchChannel(address)
        for index in range(5):
            answer = await asyncio.wait_for(channel.invoke(CSV, b"r%d" % index), 2)
            assert answer.body == b"R%d" % index
        protocol = channel._protocol
        await channel.invoke(CSV, b"again")
        assert channel._protocol is protocol
        channel.close()
        server.close()

    run(scenario)


def test_nobody_listening_is_not_connected() -> None:
    async def scenario() -> None:
        channel = BatchChannel("\0mlci-test-nobody-listens-here")
        with pytest.raises(UpstreamError, match="cannot connect") as raised:
            await channel.invoke(CSV, b"x")
        assert raised.value.connected is False

    run(scenario)


class Silent(asyncio.Protocol):
    """Reads batches and never answers; can drop the connection or answer garbage."""

    transports: list[asyncio.Transport] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        Silent.transports.append(transport)  # type: ignore[arg-type]


def test_a_connection_lost_with_answers_outstanding_fails_them_and_the_next_reconnects() -> None:
    async def scenario() -> None:
        Silent.transports = []
        server, address = await serve(Silent)
        channel = BatchChannel(address)
        pending = asyncio.ensure_future(channel.invoke(CSV, b"lost"))
        queued = asyncio.ensure_future(channel.invoke(CSV, b"queued behind it"))
        await asyncio.sleep(0.05)
        Silent.transports[0].close()
        for future in (pending, queued):
            with pytest.raises(UpstreamError, match="closed the connection") as raised:
                await future
            assert raised.value.connected is True  # sent, maybe seen: safe to send elsewhere
        server.close()
        await server.wait_closed()
        server, _ = await _serve_at(address)
        assert (await channel.invoke(CSV, b"back")).body == b"BACK"
        channel.close()
        server.close()

    run(scenario)


async def _serve_at(address: str) -> tuple[asyncio.AbstractServer, str]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(address)
    sock.listen(8)
    answerer = BatchAnswerer(shout, max_payload_bytes=1000)
    return await batch_serve.serve_batches(sock, answerer), address


def test_an_unanswered_item_times_out_and_a_late_answer_goes_to_nobody_else() -> None:
    async def scenario() -> None:
        Silent.transports = []
        server, address = await serve(Silent)
        channel = BatchChannel(address)
        with pytest.raises(UpstreamTimeout, match=r"did not answer within 0\.05 s"):
            await channel.invoke(CSV, b"slow", timeout=0.05)
        follower = asyncio.ensure_future(channel.invoke(CSV, b"next", timeout=2))
        await asyncio.sleep(0.02)
        late = encode_response_item(200, [("Content-Type", "text/csv")], b"SLOW")
        Silent.transports[0].write(frame([late]))  # the first batch's answer, late
        await asyncio.sleep(0.02)
        Silent.transports[0].write(
            frame([encode_response_item(200, [("Content-Type", "text/csv")], b"NEXT")])
        )
        assert (await follower).body == b"NEXT"
        channel.close()
        server.close()

    run(scenario)


@pytest.mark.parametrize(
    "answer",
    [
        frame([b"\x00\x01"]),  # an item cut short
        frame([encode_response_item(200, [], b"a"), encode_response_item(200, [], b"b")]),
    ],
)
def test_a_malformed_answer_fails_the_batch_and_drops_the_connection(answer: bytes) -> None:
    async def scenario() -> None:
        Silent.transports = []
        server, address = await serve(Silent)
        channel = BatchChannel(address)
        pending = asyncio.ensure_future(channel.invoke(CSV, b"x"))
        await asyncio.sleep(0.05)
        Silent.transports[0].write(answer)
        with pytest.raises(UpstreamError, match="malformed batch"):
            await pending
        assert channel._protocol is not None and channel._protocol.lost
        channel.close()
        server.close()

    run(scenario)


def test_a_server_speaking_something_else_is_hung_up_on() -> None:
    async def scenario() -> None:
        server, address = await serve()
        reader, writer = await asyncio.open_unix_connection(sock=_connected(address))
        writer.write(b"\xff\xff\xff\xff not a frame")
        assert await asyncio.wait_for(reader.read(), 2) == b""  # closed, nothing answered
        writer.close()
        server.close()

    run(scenario)


def _connected(address: str) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(address)
    return sock
