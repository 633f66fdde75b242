"""Helpers for the dashboard's tests: `mlci ui`'s app served by uvicorn on a free port in a
thread, and a small HTTP client with a cookie jar that does not follow redirects."""

from __future__ import annotations

import http.cookiejar
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mlci.ui import auth
from mlci.ui.app import create_app
from mlci.ui.context import Dashboard, build
from mlci.ui.serve import bind
from mlci.ui.serving import prepare

TOKEN = "test-token-" + "x" * 32


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str

    def csrf(self) -> str:
        match = re.search(r'name="csrf" value="([^"]+)"', self.text)
        if match is None:
            raise AssertionError(f"no CSRF field on the page:\n{self.text[:2000]}")
        return match.group(1)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Client:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirects()
        )

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> Answer:
        data = body
        sent = dict(headers or {})
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=sent)
        try:
            with self.opener.open(request, timeout=120) as response:
                return Answer(
                    response.status, _lower(response.headers), response.read().decode("utf-8")
                )
        except urllib.error.HTTPError as error:
            return Answer(error.code, _lower(error.headers), error.read().decode("utf-8"))

    def get(self, path: str, **kwargs: object) -> Answer:
        return self.request("GET", path, **kwargs)  # type: ignore[arg-type]

    def post(self, path: str, form: dict[str, str], **kwargs: object) -> Answer:
        return self.request("POST", path, form=form, **kwargs)  # type: ignore[arg-type]

    def login(self, token: str = TOKEN, name: str = "reviewer") -> Answer:
        answer = self.post("/login", {"token": token, "name": name, "next": "/audit"})
        if answer.status != 303:
            raise AssertionError(f"login failed: {answer.status} {answer.text[:500]}")
        return answer

    def session_cookie(self) -> str | None:
        return next((c.value for c in self.jar if c.name == auth.COOKIE), None)


@dataclass
class RunningUi:
    url: str
    dash: Dashboard

    def client(self) -> Client:
        return Client(self.url)


@contextmanager
def running_ui(repo: Path, cloud_home: Path) -> Iterator[RunningUi]:
    import uvicorn

    sock = bind(0)
    port = sock.getsockname()[1]
    dash = build(repo, cloud_home, TOKEN, "tester", port=port)
    prepare(dash)  # as `mlci ui` does before it listens
    server = uvicorn.Server(
        uvicorn.Config(create_app(dash), log_level="warning", access_log=False, lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the dashboard did not start")
        time.sleep(0.01)
    try:
        yield RunningUi(f"http://127.0.0.1:{port}", dash)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        dash.close()
        sock.close()


def _lower(headers: object) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in headers.items()}  # type: ignore[attr-defined]
