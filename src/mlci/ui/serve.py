"""Run the dashboard: bind 127.0.0.1, print the address and the token, serve until stopped."""

from __future__ import annotations

import getpass
import socket
from collections.abc import Callable
from pathlib import Path

from mlci.ui import auth
from mlci.ui.context import Dashboard, build

HOST = "127.0.0.1"  # never another address: the token is the only lock


def bind(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def serve(repo: Path, cloud_home: Path, port: int, announce: Callable[[str], None] = print) -> None:
    import uvicorn

    from mlci.ui.app import create_app
    from mlci.ui.serving import start

    sock = bind(port)
    actual = sock.getsockname()[1]
    token = auth.new_secret()
    dash: Dashboard = build(repo, cloud_home, token, _user(), port=actual)
    start(dash)  # before the address is shown: no page waits for the clients to be made
    announce(f"mlci ui: http://{HOST}:{actual}/  (repository {repo})")
    announce(f"token: {token}")
    config = uvicorn.Config(create_app(dash), log_level="warning", access_log=False, lifespan="off")
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        dash.close()
        sock.close()


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "local user"
