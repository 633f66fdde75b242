"""SageMaker Runtime: InvokeEndpoint (`POST /endpoints/<name>/invocations`, rest-json).

The body goes unchanged to one model server of the endpoint (`POST /invocations` with the
client's Content-Type, Accept and custom attributes; small bodies batched with others over
the server's Unix socket, see hosting/batch_channel.py), chosen by the hosting router: a variant
by weight, or the one named by TargetVariant, then its least busy server. The server's answer
comes back as it is, with the variant in `x-Amzn-Invoked-Production-Variant`; a server's 4xx
or 5xx answer becomes SageMaker's `ModelError` (424, with OriginalStatusCode and
OriginalMessage), as boto3 expects it.

Invocations run on the server's event loop (`handle_async`): forwarding is I/O only, and a
thread hop per request would cost more than the prediction. A request that could not reach a
server (it died, or its fleet was just retired) is sent again to another one; predictions have
no side effects, so that is safe. While an endpoint's servers are being restarted after a
cloud restart, invocations wait for them (up to WAIT_FOR_SERVERS_SECONDS) instead of failing.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path
from urllib.parse import unquote

from mlci.cloud.app import RUNTIME_SERVICE
from mlci.cloud.errors import AwsError
from mlci.cloud.hosting import deployer
from mlci.cloud.hosting.batch_channel import MAX_BATCH_BODY_BYTES
from mlci.cloud.hosting.deployer import Hosting
from mlci.cloud.hosting.router import EndpointRoute, Instance, Routing, RoutingError
from mlci.cloud.hosting.upstream import UpstreamError, UpstreamResponse, UpstreamTimeout
from mlci.cloud.hosting.usage import Usage, usage_for
from mlci.cloud.http import Request, Response
from mlci.cloud.service import Context, Service

MAX_PAYLOAD_BYTES = 6 * 1024 * 1024  # InvokeEndpoint's documented limit
WAIT_FOR_SERVERS_SECONDS = 30.0
RETRY_PAUSE_SECONDS = 0.01
CONTENT_TYPE = "application/json"
MAX_CUSTOM_ATTRIBUTES = 1024
_PATH = re.compile(r"/endpoints/(?P<name>[^/]+)/invocations")
_VISIBLE_ASCII = re.compile(r"[\x20-\x7e]*")
# client header -> the header the model server gets
_FORWARDED = (
    ("content-type", "Content-Type"),
    ("accept", "Accept"),
    ("x-amzn-sagemaker-custom-attributes", "X-Amzn-SageMaker-Custom-Attributes"),
    ("x-amzn-sagemaker-inference-id", "X-Amzn-SageMaker-Inference-Id"),
)


def validation_error(message: str) -> AwsError:
    return AwsError("ValidationError", message, status=400)


class RuntimeService:
    name = RUNTIME_SERVICE

    def __init__(self, home: Path, wait_for_servers: float = WAIT_FOR_SERVERS_SECONDS) -> None:
        self._home = home
        self._hosting: Hosting | None = None
        self._usage: Usage | None = None
        self.wait_for_servers = wait_for_servers

    @property
    def hosting(self) -> Hosting:
        if self._hosting is None:
            self._hosting = deployer.hosting_for(self._home)
        return self._hosting

    @property
    def usage(self) -> Usage:
        if self._usage is None:  # looked up once: usage_for resolves the home path
            self._usage = usage_for(self._home)
        return self._usage

    def handle(self, request: Request, ctx: Context) -> Response:
        raise AwsError(
            "InternalFailure", "InvokeEndpoint is served on the event loop (handle_async)"
        )

    async def handle_async(self, request: Request, ctx: Context) -> Response:
        name = _endpoint_name(request)
        if request.body.size > MAX_PAYLOAD_BYTES:
            raise validation_error(
                f"Request payload of {request.body.size} bytes exceeds the InvokeEndpoint "
                f"limit of {MAX_PAYLOAD_BYTES} bytes (6 MB)."
            )
        headers = _forwarded_headers(request)
        target = request.header("x-amzn-sagemaker-target-variant")
        key = (ctx.region, name.lower())
        started = time.perf_counter()
        variant, answer = await self._forward(key, name, ctx, target, headers, request.body.read())
        self.usage.record(  # for CloudWatch's AWS/SageMaker metrics
            ctx.region, name, variant, time.perf_counter() - started, answer.status
        )
        if answer.status != 200:
            return model_error(answer)
        reply = [
            ("content-type", answer.headers.get("content-type", "application/octet-stream")),
            ("x-amzn-invoked-production-variant", variant),
        ]
        custom = answer.headers.get("x-amzn-sagemaker-custom-attributes")
        if custom:
            reply.append(("x-amzn-sagemaker-custom-attributes", custom))
        return Response(200, reply, answer.body)

    async def _forward(
        self,
        key: tuple[str, str],
        name: str,
        ctx: Context,
        target: str | None,
        headers: list[tuple[str, str]],
        body: bytes,
    ) -> tuple[str, UpstreamResponse]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait_for_servers
        while True:
            route = self.hosting.route(key)
            if route is None:
                raise validation_error(f"Endpoint {name} of account {ctx.account_id} not found.")
            picked = _pick(route, name, target)
            if picked is None:  # restoring, or every server of the variant is being replaced
                if loop.time() > deadline:
                    raise _unavailable(route)
                await asyncio.sleep(RETRY_PAUSE_SECONDS * 2)
                continue
            routing, variant, instance = picked
            routing.in_flight += 1
            instance.in_flight += 1
            try:
                return variant, await _send(instance, headers, body)
            except UpstreamTimeout:
                raise _model_timeout(ctx, name) from None
            except UpstreamError as error:
                if not error.connected or not instance.server.alive():
                    instance.down = True  # the monitor replaces it
                if loop.time() > deadline:
                    raise AwsError("ServiceUnavailable", f"{name}: {error}", status=503) from None
            finally:
                routing.in_flight -= 1
                instance.in_flight -= 1
            await asyncio.sleep(RETRY_PAUSE_SECONDS)

    def close(self) -> None:
        # The control plane shares this home's Hosting and may have started it even if nothing
        # was ever invoked: stop its model servers now, gracefully, as the cloud stops.
        deployer.release(self._home)


async def _send(
    instance: Instance, headers: list[tuple[str, str]], body: bytes
) -> UpstreamResponse:
    """Small bodies go batched over the server's Unix socket, larger ones over HTTP."""
    if instance.batch is not None and len(body) <= MAX_BATCH_BODY_BYTES:
        return await instance.batch.invoke(headers, body)
    return await instance.pool.post("/invocations", headers, body)


def _pick(
    route: EndpointRoute, name: str, target: str | None
) -> tuple[Routing, str, Instance] | None:
    routing = route.routing
    if routing is None:
        return None
    try:
        variant = routing.choose(target)
    except RoutingError:
        if target is not None:
            names = ", ".join(sorted(routing.variants))
            raise validation_error(
                f"Endpoint {name} has no production variant named {target!r} "
                f"(its variants: {names})."
            ) from None
        raise validation_error(
            f"Every production variant of endpoint {name} has weight 0; name one with "
            "TargetVariant."
        ) from None
    instance = variant.pick()
    return (routing, variant.name, instance) if instance is not None else None


def _endpoint_name(request: Request) -> str:
    match = _PATH.fullmatch(request.raw_path)
    if request.method != "POST" or match is None:
        raise AwsError(
            "UnknownOperationException",
            f"mlci cloud's SageMaker runtime serves POST /endpoints/<name>/invocations only, "
            f"not {request.method} {request.raw_path[:200]}",
        )
    return unquote(match["name"])


def _forwarded_headers(request: Request) -> list[tuple[str, str]]:
    forwarded = []
    for client_name, server_name in _FORWARDED:
        value = request.header(client_name)
        if value is None:
            continue
        if not _VISIBLE_ASCII.fullmatch(value):
            raise validation_error(f"Header {server_name} must hold visible US-ASCII characters")
        if client_name.startswith("x-amzn") and len(value) > MAX_CUSTOM_ATTRIBUTES:
            raise validation_error(
                f"Header {server_name} is longer than {MAX_CUSTOM_ATTRIBUTES} characters"
            )
        forwarded.append((server_name, value))
    return forwarded


def model_error(answer: UpstreamResponse) -> Response:
    """A model server's refusal as SageMaker's ModelError."""
    original = answer.body.decode("utf-8", "replace")
    kind = "client" if answer.status < 500 else "server"
    message = f'Received {kind} error ({answer.status}) from primary with message "{original}".'
    body = {
        "__type": "ModelError",
        "message": message,
        "Message": message,
        "OriginalStatusCode": answer.status,
        "OriginalMessage": original,
    }
    headers = [("content-type", CONTENT_TYPE), ("x-amzn-errortype", "ModelError")]
    return Response(424, headers, json.dumps(body).encode())


def _model_timeout(ctx: Context, name: str) -> AwsError:
    return AwsError(
        "ModelError",
        "Your invocation timed out while waiting for a response from container primary "
        f"of endpoint {name}.",
        status=424,
    )


def _unavailable(route: EndpointRoute) -> AwsError:
    if route.routing is None:
        return AwsError(
            "ModelNotReadyException",
            f"The model servers of endpoint {route.name} are still starting; try again.",
            status=429,
        )
    return AwsError(
        "ServiceUnavailable",
        f"No model server of endpoint {route.name} is available; try again.",
        status=503,
    )


def create(home: Path) -> list[Service]:
    return [RuntimeService(home)]
