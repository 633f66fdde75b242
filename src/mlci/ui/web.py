"""What every page handler shares: templates, forms, the session, errors as pages."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from mlci.ui import auth
from mlci.ui.auth import Session

TEMPLATES = Path(__file__).parent / "templates"
MAX_FORM_BYTES = 64 * 1024


def environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every template: names, messages and logs are data, never markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    env.filters["ago"] = ago
    env.filters["seconds"] = seconds
    env.filters["short"] = lambda text, n=12: (text or "")[:n]
    env.filters["number"] = number
    return env


def when(epoch: float | None) -> str:
    if not epoch:
        return ""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch))


def ago(epoch: float | None) -> str:
    if not epoch:
        return ""
    return seconds(max(0.0, time.time() - epoch)) + " ago"


def seconds(value: float | None) -> str:
    if value is None:
        return ""
    if value < 60:
        return f"{value:.1f} s"
    minutes, secs = divmod(int(value), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def number(value: float | None, digits: int = 5) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}g}"


@dataclass
class Page:
    """The request's context for a template: who is signed in, the CSRF token for forms."""

    request: Request
    session: Session | None

    @property
    def csrf(self) -> str:
        return self.session.csrf if self.session else ""


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    env = request.app.state.templates
    session = getattr(request.state, "session", None)
    page = Page(request, session)
    body = env.get_template(template).render(
        page=page, flash=request.query_params.get("done", ""), **context
    )
    return HTMLResponse(body, status_code=status, headers=_security_headers())


def _security_headers() -> dict[str, str]:
    return {
        # No script but our own file, no inline script, no framing, no external anything.
        "Content-Security-Policy": (
            "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'"
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",  # "no-referrer" would make Origin "null"
        "Cache-Control": "no-store",
    }


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    titles = {
        400: "Bad request",
        403: "Refused",
        404: "Not found",
        409: "Could not be done",
        503: "Cloud unavailable",
    }
    return render(
        request, "error.html", status=status, title=titles.get(status, "Error"), message=message
    )


def not_found(message: str) -> HTTPException:
    return HTTPException(404, message)


async def read_form(request: Request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body (the only kind our forms send)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise HTTPException(400, "forms must be sent as application/x-www-form-urlencoded")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(400, f"the form is larger than {MAX_FORM_BYTES} bytes")
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise HTTPException(400, "the form is not UTF-8") from None
    return {key: values[-1] for key, values in parsed.items()}


def redirect(path: str, done: str = "") -> RedirectResponse:
    from urllib.parse import quote

    target = f"{path}?done={quote(done)}" if done else path
    return RedirectResponse(target, status_code=303)


def session_of(request: Request) -> Session | None:
    sessions: auth.Sessions = request.app.state.sessions
    return sessions.get(request.cookies.get(auth.COOKIE))


def client_of(request: Request) -> str:
    return request.client.host if request.client else ""


def int_param(request: Request, name: str, default: int, low: int = 1, high: int = 10**6) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise HTTPException(400, f"{name} must be a whole number, not {raw[:40]!r}") from None
    if not low <= value <= high:
        raise HTTPException(400, f"{name} must be between {low} and {high}")
    return value
