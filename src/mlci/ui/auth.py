"""Who may use the dashboard: the holder of the token `mlci ui` prints when it starts.

The login form trades the token for a session cookie (random id, HttpOnly, SameSite=Strict,
kept in memory: a restart of `mlci ui` makes a new token and ends every session). Each session
has its own CSRF token, which every form carries and every POST must return. All comparisons of
secrets are constant-time. Requests whose Host is not the address we bound are refused, so a
page on another site cannot reach us through DNS rebinding.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass

COOKIE = "mlci_session"
SESSION_SECONDS = 12 * 3600
MAX_NAME = 64


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def same_secret(given: str | None, expected: str) -> bool:
    if not given:
        return False
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))


@dataclass(frozen=True)
class Session:
    id: str
    user: str
    csrf: str
    expires: float


def clean_name(name: str, default: str) -> str:
    """A display name for the audit log: printable, trimmed, bounded."""
    kept = "".join(ch for ch in name if ch.isprintable()).strip()[:MAX_NAME]
    return kept or default


class Sessions:
    def __init__(self, token: str, default_user: str) -> None:
        self.token = token
        self.default_user = default_user
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def login(self, token: str | None, name: str = "") -> Session | None:
        """A new session when `token` is the dashboard's, else None."""
        if not same_secret(token, self.token):
            return None
        session = Session(
            new_secret(),
            clean_name(name, self.default_user),
            new_secret(),
            time.time() + SESSION_SECONDS,
        )
        with self._lock:
            self._drop_expired()
            self._sessions[session.id] = session
        return session

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        with self._lock:
            # Looked up by key (a dict), then compared in constant time, so neither step
            # tells an attacker how much of a guess was right.
            session = self._sessions.get(session_id)
        if session is None or not same_secret(session_id, session.id):
            return None
        if session.expires < time.time():
            self.logout(session.id)
            return None
        return session

    def logout(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)

    def _drop_expired(self) -> None:
        now = time.time()
        for key in [k for k, s in self._sessions.items() if s.expires < now]:
            del self._sessions[key]


def csrf_ok(session: Session, given: str | None) -> bool:
    return same_secret(given, session.csrf)


def allowed_host(host_header: str | None, port: int) -> bool:
    """Only the loopback names of the port we bound (port 0 in tests: any port)."""
    if not host_header:
        return False
    name, _, given_port = host_header.rpartition(":")
    if not name:
        name, given_port = given_port, ""
    if name not in ("127.0.0.1", "localhost", "[::1]"):
        return False
    return port == 0 or given_port == str(port)
