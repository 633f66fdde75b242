"""The cloud's ASGI application: read the request, authenticate, route, answer.

One port serves every service. The SigV4 credential scope names the service; SageMaker's
runtime shares the `sagemaker` signing name with its control plane and is told apart by path.
Service code is synchronous (SQLite, files), so it runs on a thread pool and never blocks the
event loop; bodies are read and hashed on the loop as they arrive.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from mlci import __version__
from mlci.cloud import auth
from mlci.cloud.credentials import Credentials
from mlci.cloud.errors import AwsError
from mlci.cloud.http import Body, FileSlice, Request, Response
from mlci.cloud.protocols.errors import render_error
from mlci.cloud.service import Context, Service

log = logging.getLogger("mlci.cloud")

HEALTH_PATH = "/_mlci/health"
RUNTIME_SERVICE = "sagemaker-runtime"
# Largest body accepted per service family: S3's single-PUT limit, SageMaker runtime's 6 MB
# payload limit (the runtime service checks it exactly), and a generous cap for JSON APIs.
S3_MAX_BODY = 5 * 1024**3
API_MAX_BODY = 16 * 1024**2

_SCOPE_SERVICE = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/,\s]+/([^/,\s]+)/aws4_request")


class CloudApp:
    def __init__(
        self,
        creds: Credentials,
        services: Mapping[str, Service],
        spool_dir: Path,
        workers: int = 32,
    ) -> None:
        self.creds = creds
        self.services = dict(services)
        self.spool_dir = spool_dir
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cloud")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request = _request_from_scope(scope)
        if request.raw_path == HEALTH_PATH:
            await _send(send, _health())
            return
        response = _check_length(request)
        if response is None:
            request.body = Body(self.spool_dir)
            await _read_body(receive, request.body)
            if self._served_on_loop(request):
                response = await self.dispatch_async(request)
            else:
                loop = asyncio.get_running_loop()
                response = await loop.run_in_executor(self.executor, self.dispatch, request)
        await _send(send, response)

    def dispatch(self, request: Request) -> Response:
        """Authenticate and serve one request; every failure becomes an AWS-shaped error."""
        request_id = str(uuid.uuid4())
        try:
            auth.verify(request, self.creds)
            service = self._service(request)
            ctx = Context(self.creds.account_id, request.region, request_id)
            response = service.handle(request, ctx)
        except Exception as error:
            response = self._failure(request, error, request_id)
        finally:
            request.body.discard()
        response.headers.append(("x-amzn-requestid", request_id))
        return response

    async def dispatch_async(self, request: Request) -> Response:
        """`dispatch` for a service with `handle_async` (I/O-bound, e.g. the runtime, which
        forwards to model servers): served on the event loop, no thread hop."""
        request_id = str(uuid.uuid4())
        try:
            auth.verify(request, self.creds)
            service = self._service(request)
            ctx = Context(self.creds.account_id, request.region, request_id)
            handle_async = getattr(service, "handle_async", None)
            if handle_async is not None:
                response: Response = await handle_async(request, ctx)
            else:  # signed for another service after all
                loop = asyncio.get_running_loop()
                response = await loop.run_in_executor(self.executor, service.handle, request, ctx)
        except Exception as error:
            response = self._failure(request, error, request_id)
        finally:
            request.body.discard()
        response.headers.append(("x-amzn-requestid", request_id))
        return response

    def _served_on_loop(self, request: Request) -> bool:
        runtime = self.services.get(RUNTIME_SERVICE)
        return request.raw_path.startswith("/endpoints/") and hasattr(runtime, "handle_async")

    def _service(self, request: Request) -> Service:
        service = self.services.get(_route(request))
        if service is None:
            raise AwsError(
                "NotImplemented",
                f"mlci cloud does not implement the {request.service!r} service",
                status=501,
            )
        return service

    def _failure(self, request: Request, error: Exception, request_id: str) -> Response:
        family = auth.protocol_family(request.service, request)
        if not isinstance(error, AwsError):
            log.exception("internal error serving %s %s", request.method, request.raw_path)
            error = AwsError(
                "InternalFailure", f"internal error; see the cloud log (request {request_id})"
            )
        return render_error(family, error, request_id, request.method)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def close(self) -> None:
        self.executor.shutdown(wait=True)
        for service in self.services.values():
            service.close()


def _route(request: Request) -> str:
    if request.service == "sagemaker" and request.raw_path.startswith("/endpoints/"):
        return RUNTIME_SERVICE
    return request.service


def _request_from_scope(scope: dict[str, Any]) -> Request:
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    raw_path = scope.get("raw_path") or scope["path"].encode()
    return Request(
        method=scope["method"],
        raw_path=raw_path.decode("latin-1"),
        query_string=scope.get("query_string", b"").decode("latin-1"),
        headers=headers,
    )


def _check_length(request: Request) -> Response | None:
    """Refuse an oversized body from its Content-Length alone, before reading any of it."""
    declared = request.header("content-length")
    if declared is None:
        return None
    match = _SCOPE_SERVICE.search(request.header("authorization") or "")
    service = match.group(1) if match else ""
    family = auth.protocol_family(service, request)
    limit = S3_MAX_BODY if family == "s3" else API_MAX_BODY
    try:
        size = int(declared)
    except ValueError:
        error = AwsError("InvalidArgument", f"Content-Length is not a number: {declared[:40]!r}")
        return render_error(family, error, str(uuid.uuid4()), request.method)
    if size <= limit:
        return None
    code = "EntityTooLarge" if family == "s3" else "ValidationException"
    if service == "sagemaker" and request.raw_path.startswith("/endpoints/"):
        code = "ValidationError"  # the runtime's name for it
    error = AwsError(code, f"request body of {size} bytes exceeds the limit of {limit} bytes")
    response = render_error(family, error, str(uuid.uuid4()), request.method)
    response.headers.append(("connection", "close"))
    return response


async def _read_body(receive: Any, body: Body) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        chunk = message.get("body", b"")
        if chunk:
            body.write(chunk)
        if not message.get("more_body", False):
            return


def _health() -> Response:
    payload = json.dumps({"status": "ok", "version": __version__}).encode()
    return Response(200, [("content-type", "application/json")], payload)


async def _send(send: Any, response: Response) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
    if not any(k.lower() == b"content-length" for k, _ in headers):
        headers.append((b"content-length", str(response.content_length).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    if isinstance(response.body, FileSlice):
        chunks = response.body.chunks()
        for chunk in chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.body", "body": response.body})
