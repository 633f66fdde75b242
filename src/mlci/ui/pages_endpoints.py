"""Endpoint pages: all endpoints, one endpoint; and rolling an endpoint back."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from mlci.ui.actions import ActionFailed, perform
from mlci.ui.auth import Session
from mlci.ui.context import Dashboard
from mlci.ui.deployments import RollbackError, rollback
from mlci.ui.invocations import WINDOW_SECONDS, usage
from mlci.ui.serving import all_endpoints, describe, variant_rows
from mlci.ui.web import not_found, render


def _dash(request: Request) -> Dashboard:
    dash: Dashboard = request.app.state.dash
    return dash


async def endpoints_page(request: Request) -> Response:
    context = await run_in_threadpool(_endpoints, _dash(request))
    return render(request, "endpoints.html", **context)


def _endpoints(dash: Dashboard) -> dict[str, Any]:
    endpoints = all_endpoints(dash)
    rows = [(info, variant_rows(info)) for info in endpoints]
    keys = [(info.name, row["variant"].name) for info, variants in rows for row in variants]
    return {
        "rows": rows,
        "usage": usage(dash.clients.cloudwatch(), keys),
        "window": WINDOW_SECONDS,
    }


async def endpoint_page(request: Request) -> Response:
    context = await run_in_threadpool(_endpoint, _dash(request), request.path_params["name"])
    return render(request, "endpoint.html", **context)


def _endpoint(dash: Dashboard, name: str) -> dict[str, Any]:
    from botocore.exceptions import ClientError

    try:
        info = describe(dash, name)
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("ValidationException", "ResourceNotFound"):
            raise not_found(f"there is no endpoint {name!r}") from None
        raise
    variants = variant_rows(info)
    history = dash.deployments.history(info.name)
    previous = dash.deployments.previous(info.name, info.config_name)
    return {
        "info": info,
        "variants": variants,
        "usage": usage(
            dash.clients.cloudwatch(), [(info.name, r["variant"].name) for r in variants]
        ),
        "window": WINDOW_SECONDS,
        "history": history,
        "previous": previous,
        "config_json": info.config.snapshot["config"] if info.config else None,
    }


async def rollback_action(request: Request) -> Response:
    dash = _dash(request)
    name = request.path_params["name"]

    def run(session: Session, form: dict[str, str]) -> str:
        try:
            previous, target = rollback(dash.clients.sagemaker(action=True), dash.deployments, name)
        except RollbackError as exc:
            raise ActionFailed(str(exc)) from None
        copied = "" if previous == target else f" (re-created as {target})"
        return f"endpoint {name} rolled back to {previous}{copied}"

    return await perform(request, "rollback-endpoint", name, run, f"/endpoints/{name}")
