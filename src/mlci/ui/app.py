"""The dashboard's ASGI application: every route in one list, a guard in front of them.

The guard refuses requests whose Host is not ours (DNS rebinding), and sends anyone without a
session to the login form; actions check the session and CSRF token themselves
(`actions.perform`) so that a refused attempt is audited with what it tried to do.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from mlci.ui import auth, pages_endpoints, pages_pipelines, pages_registry, pages_session
from mlci.ui.cloud_access import CloudUnavailable
from mlci.ui.context import Dashboard
from mlci.ui.web import environment, error_page

STATIC = Path(__file__).parent / "static"
PUBLIC_PATHS = ("/login",)

ROUTES = [
    Route("/", pages_session.home),
    Route("/login", pages_session.login_form, methods=["GET"]),
    Route("/login", pages_session.login, methods=["POST"]),
    Route("/logout", pages_session.logout, methods=["POST"]),
    Route("/audit", pages_session.audit_page),
    Route("/pipelines", pages_pipelines.pipelines_page),
    Route("/pipelines/{number:int}", pages_pipelines.pipeline_page),
    Route("/pipelines/{number:int}/jobs/{build:int}", pages_pipelines.job_page),
    Route(
        "/pipelines/{number:int}/jobs/{build:int}/{decision}",
        pages_pipelines.job_action,
        methods=["POST"],
    ),
    Route("/registry", pages_registry.groups_page),
    Route("/registry/{group}", pages_registry.group_page),
    Route("/registry/{group}/{version:int}", pages_registry.version_page),
    Route(
        "/registry/{group}/{version:int}/{decision}",
        pages_registry.set_status,
        methods=["POST"],
    ),
    Route("/endpoints", pages_endpoints.endpoints_page),
    Route("/endpoints/{name}", pages_endpoints.endpoint_page),
    Route("/endpoints/{name}/rollback", pages_endpoints.rollback_action, methods=["POST"]),
    Mount("/static", StaticFiles(directory=STATIC), name="static"),
]


class Guard:
    def __init__(self, app: Any, sessions: auth.Sessions, port: int) -> None:
        self.app = app
        self.sessions = sessions
        self.port = port

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if not auth.allowed_host(request.headers.get("host"), self.port):
            response: Response = PlainTextResponse("unexpected Host header", status_code=400)
            await response(scope, receive, send)
            return
        path = scope["path"]
        if not path.startswith("/static/") and path not in PUBLIC_PATHS:
            session = self.sessions.get(request.cookies.get(auth.COOKIE))
            scope.setdefault("state", {})["session"] = session
            if session is None and scope["method"] in ("GET", "HEAD"):
                from urllib.parse import quote

                wanted = path + ("?" + request.url.query if request.url.query else "")
                response = RedirectResponse(f"/login?next={quote(wanted)}", status_code=303)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, _timed(send, time.perf_counter()))


def _timed(send: Any, started: float) -> Any:
    """`send` that adds the server's time to the response (Server-Timing, in ms)."""

    async def send_timed(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            spent = (time.perf_counter() - started) * 1000
            headers = [
                *message.get("headers", []),
                (b"server-timing", f"app;dur={spent:.1f}".encode()),
            ]
            message = {**message, "headers": headers}
        await send(message)

    return send_timed


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error_page(request, exc.status_code, str(exc.detail))


async def _cloud_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, CloudUnavailable):
        return error_page(request, 503, str(exc))
    request.app.state.dash.clients.forget()
    return error_page(request, 503, f"the cloud did not answer as expected: {exc}")


def create_app(dash: Dashboard) -> Any:
    from botocore.exceptions import BotoCoreError, ClientError

    app = Starlette(
        routes=ROUTES,
        exception_handlers={
            HTTPException: _http_error,
            CloudUnavailable: _cloud_error,
            BotoCoreError: _cloud_error,
            ClientError: _cloud_error,
        },
    )
    app.state.dash = dash
    app.state.sessions = dash.sessions
    app.state.templates = environment()
    return Guard(app, dash.sessions, dash.port)
