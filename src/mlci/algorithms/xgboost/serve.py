"""The SageMaker model-container contract for an XGBoost model, as a small ASGI app.

    python -m mlci.algorithms.xgboost.serve --model-dir DIR --port 0 --port-file F [--host H]

- `GET /ping` answers 200 once the model is loaded (it is loaded before the port opens, so
  a connection that succeeds means the model is ready);
- `POST /invocations` reads `Content-Type` and `Accept` and answers what `Predictor.invoke`
  returns; a `ModelError` becomes its status with the message as a text/plain body, as the
  container answers (400 bad payload, 406 bad Accept, 415 unreadable body, 413 too large);
- `GET /execution-parameters` answers what the container tells batch transform.

The port is chosen by the OS with `--port 0`; the bound port is printed on stdout and, with
`--port-file`, written to that file atomically, so a parent can start N of these at once.
Prediction of a large body runs on one worker thread so `/ping` stays responsive meanwhile;
a small one (INLINE_PAYLOAD_BYTES) is answered on the event loop directly.
SIGTERM (or SIGINT) shuts down gracefully: requests in flight finish, then the process ends
with the signal as its exit status (uvicorn re-raises it); a model that cannot be loaded, or a
port that cannot be bound, exits 1 with the reason on stderr before anything listens.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from mlci.algorithms.errors import ModelError
from mlci.algorithms.xgboost.batch_serve import BatchAnswerer, bind_batch_socket, serve_batches
from mlci.algorithms.xgboost.process import skip_unused_xgboost_integrations
from mlci.files import write_atomically

# The container's default MAX_CONTENT_LENGTH; InvokeEndpoint itself refuses bodies over 6 MB.
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024
# Bodies up to this size (a few dozen rows) are predicted on the event loop: handing them to
# the prediction thread and back would cost more than the prediction (measured: a one-row
# request used 568 us of CPU with the hop).
INLINE_PAYLOAD_BYTES = 4096

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Invoke = Callable[[bytes, str | None, str | None], tuple[bytes, str]]


class ModelServer:
    """ASGI app around `invoke(body, content_type, accept) -> (body, content_type)`."""

    def __init__(self, invoke: Invoke, max_payload_bytes: int = MAX_PAYLOAD_BYTES) -> None:
        self.invoke = invoke
        self.max_payload_bytes = max_payload_bytes
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="predict")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # no lifespan events needed: the model loads before serving
            return
        route = (scope["method"], scope["path"])
        if route == ("GET", "/ping"):
            await _respond(send, 200, b"", "text/plain; charset=utf-8")
        elif route == ("POST", "/invocations"):
            await self._invocations(scope, receive, send)
        elif route == ("GET", "/execution-parameters"):
            await _respond(
                send, 200, _execution_parameters(self.max_payload_bytes), "application/json"
            )
        elif scope["path"] in ("/ping", "/invocations", "/execution-parameters"):
            await _respond(send, 405, b"Method Not Allowed", "text/plain; charset=utf-8")
        else:
            await _respond(send, 404, b"Not Found", "text/plain; charset=utf-8")

    async def _invocations(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            body = await _read_body(receive, self.max_payload_bytes)
        except _Disconnected:
            return  # the client went away mid-request: nobody to answer
        if body is None:
            message = f"Request body exceeds the maximum payload of {self.max_payload_bytes} bytes"
            await _respond(send, 413, message.encode(), "text/plain; charset=utf-8")
            return
        headers = _headers(scope)
        request_type, accept = headers.get("content-type"), headers.get("accept")
        try:
            if len(body) <= INLINE_PAYLOAD_BYTES:  # well under a millisecond: no thread hop
                answer, content_type = self.invoke(body, request_type, accept)
            else:
                loop = asyncio.get_running_loop()
                answer, content_type = await loop.run_in_executor(
                    self.executor, self.invoke, body, request_type, accept
                )
        except ModelError as error:
            await _respond(send, error.status, error.message.encode(), "text/plain; charset=utf-8")
            return
        await _respond(send, 200, answer, content_type)


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


class _Disconnected(Exception):
    pass


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None as soon as it grows past `limit`."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _respond(send: Send, status: int, body: bytes, content_type: str) -> None:
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _execution_parameters(max_payload_bytes: int) -> bytes:
    return json.dumps(
        {
            "MaxConcurrentTransforms": 1,
            "BatchStrategy": "MULTI_RECORD",
            "MaxPayloadInMB": max_payload_bytes // (1024 * 1024),
        }
    ).encode()


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; port 0 lets the OS pick a free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    skip_unused_xgboost_integrations()
    from mlci.algorithms.xgboost.inference import Predictor  # imports xgboost: ~1 s

    try:
        predictor = Predictor.load(args.model_dir, nthread=args.nthread)
    except ModelError as error:
        print(error.message, file=sys.stderr, flush=True)
        return 1
    try:
        sock = bind(args.host, args.port)
    except OSError as error:
        print(f"cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr, flush=True)
        return 1
    port = sock.getsockname()[1]
    batch = bind_batch_socket()
    if args.port_file:
        # The port, then the batch socket's name: once this file exists both accept connections.
        lines = [str(port)] + ([batch[1]] if batch else [])
        write_atomically(Path(args.port_file), ("\n".join(lines) + "\n").encode())
    print(f"serving {args.model_dir} on http://{args.host}:{port}", flush=True)
    app = ModelServer(predictor.invoke, args.max_payload_bytes)
    _run(app, sock, batch[0] if batch else None)
    return 0


def _run(app: ModelServer, sock: socket.socket, batch_sock: socket.socket | None) -> None:
    import uvicorn

    config = uvicorn.Config(
        app,
        http="httptools",
        lifespan="off",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)

    async def serve() -> None:
        batches = None
        if batch_sock is not None:
            batches = await serve_batches(
                batch_sock, BatchAnswerer(app.invoke, app.max_payload_bytes)
            )
        try:
            await server.serve(sockets=[sock])
        finally:
            if batches is not None:
                batches.close()

    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        runner.run(serve())


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m mlci.algorithms.xgboost.serve",
        description="Serve an XGBoost model with the SageMaker container contract.",
    )
    parser.add_argument("--model-dir", required=True, help="model directory or model.tar.gz")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port-file", help="write the bound port here (atomically)")
    parser.add_argument("--nthread", type=int, default=1, help="threads per prediction")
    parser.add_argument("--max-payload-bytes", type=int, default=MAX_PAYLOAD_BYTES)
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
