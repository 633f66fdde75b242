"""Signing in with the token, signing out, and the audit log."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from mlci.ui import auth
from mlci.ui.actions import perform
from mlci.ui.audit import OK, REFUSED
from mlci.ui.auth import Session
from mlci.ui.context import Dashboard
from mlci.ui.web import client_of, read_form, redirect, render

HOME = "/pipelines"


def _dash(request: Request) -> Dashboard:
    dash: Dashboard = request.app.state.dash
    return dash


def safe_next(target: str | None) -> str:
    """Only a path of this site: never `//other.site` or `https://…` (an open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return HOME
    return target


async def login_form(request: Request) -> Response:
    return render(request, "login.html", next=safe_next(request.query_params.get("next")), error="")


async def login(request: Request) -> Response:
    dash = _dash(request)
    form = await read_form(request)
    session = dash.sessions.login(form.get("token"), form.get("name", ""))
    target = safe_next(form.get("next"))
    if session is None:
        await run_in_threadpool(
            dash.audit.record,
            form.get("name", "") or "?",
            "login",
            "dashboard",
            REFUSED,
            "wrong token",
            client_of(request),
        )
        return render(
            request,
            "login.html",
            status=403,
            next=target,
            error="That is not the token mlci ui printed when it started.",
        )
    await run_in_threadpool(
        dash.audit.record, session.user, "login", "dashboard", OK, "", client_of(request)
    )
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        auth.COOKIE,
        session.id,
        max_age=auth.SESSION_SECONDS,
        path="/",
        httponly=True,
        samesite="strict",
    )
    return response


async def logout(request: Request) -> Response:
    dash = _dash(request)

    def run(session: Session, form: dict[str, str]) -> str:
        dash.sessions.logout(session.id)
        return "signed out"

    response = await perform(request, "logout", "dashboard", run, "/login")
    response.delete_cookie(auth.COOKIE, path="/")
    return response


async def audit_page(request: Request) -> Response:
    entries = await run_in_threadpool(_dash(request).audit.recent, 500)
    return render(request, "audit.html", entries=entries)


async def home(request: Request) -> Response:
    return redirect(HOME)
