"""Every state-changing request goes through `perform`: a session, a CSRF token that matches
it, a same-origin request, then the action, and an audit record of what happened either way."""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from mlci.ui import auth
from mlci.ui.audit import FAILED, OK, REFUSED
from mlci.ui.auth import Session
from mlci.ui.context import Dashboard
from mlci.ui.web import client_of, error_page, read_form, redirect, session_of

ANONYMOUS = "(not signed in)"


class ActionFailed(Exception):
    """An action that could not be done; the message is shown and audited."""


Run = Callable[[Session, dict[str, str]], str]


def refusal(request: Request, session: Session | None, form: dict[str, str]) -> str | None:
    """Why this POST must not be acted on, or None."""
    if session is None:
        return "not signed in: sign in with the token `mlci ui` printed"
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.headers.get('host')}":
        return f"the request came from another origin ({origin[:100]})"
    if not auth.csrf_ok(session, form.get("csrf")):
        return "the form's CSRF token is missing or wrong (reload the page and try again)"
    return None


async def perform(request: Request, action: str, target: str, run: Run, back: str) -> Response:
    dash: Dashboard = request.app.state.dash
    form = await read_form(request)
    session = session_of(request)
    who = session.user if session else ANONYMOUS

    async def record(outcome: str, detail: str) -> None:
        await run_in_threadpool(
            dash.audit.record, who, action, target, outcome, detail, client_of(request)
        )

    reason = refusal(request, session, form)
    if reason is not None or session is None:
        await record(REFUSED, reason or "")
        return error_page(request, 403, f"Refused: {reason}")
    comment = form.get("comment", "")
    try:
        message = await run_in_threadpool(run, session, form)
    except ActionFailed as exc:
        await record(FAILED, _detail(comment, str(exc)))
        return error_page(request, 409, str(exc))
    except Exception as exc:  # recorded, then shown as any unexpected error is
        await record(FAILED, _detail(comment, repr(exc)[:500]))
        raise
    await record(OK, _detail(comment, message))
    return redirect(back, message)


def _detail(comment: str, outcome: str) -> str:
    return f"{outcome} — comment: {comment}" if comment else outcome
