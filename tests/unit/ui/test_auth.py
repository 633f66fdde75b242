"""Tokens, sessions and the checks in front of every request."""

from __future__ import annotations

import time

import pytest

from mlci.ui import auth
from mlci.ui.pages_session import safe_next


def test_a_session_needs_the_exact_token() -> None:
    sessions = auth.Sessions("right-token", "alice")
    assert sessions.login("wrong-token") is None
    assert sessions.login("") is None
    assert sessions.login(None) is None
    assert sessions.login("right-token-and-more") is None
    session = sessions.login("right-token", "Bob")
    assert session is not None and session.user == "Bob"
    assert sessions.get(session.id) == session
    assert session.csrf != session.id and len(session.csrf) >= 40


def test_names_default_to_the_user_and_lose_control_characters() -> None:
    sessions = auth.Sessions("t", "alice")
    assert sessions.login("t", "   ").user == "alice"  # type: ignore[union-attr]
    assert sessions.login("t", "Eve\n\x1b[31m").user == "Eve[31m"  # type: ignore[union-attr]
    assert len(sessions.login("t", "x" * 500).user) == auth.MAX_NAME  # type: ignore[union-attr]


def test_unknown_expired_and_ended_sessions_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    sessions = auth.Sessions("t", "alice")
    session = sessions.login("t")
    assert session is not None
    assert sessions.get("made-up") is None
    assert sessions.get(None) is None
    sessions.logout(session.id)
    assert sessions.get(session.id) is None
    later = sessions.login("t")
    assert later is not None
    monkeypatch.setattr(time, "time", lambda: later.expires + 1)
    assert sessions.get(later.id) is None


def test_csrf_compares_the_whole_token() -> None:
    session = auth.Sessions("t", "a").login("t")
    assert session is not None
    assert auth.csrf_ok(session, session.csrf)
    assert not auth.csrf_ok(session, session.csrf[:-1])
    assert not auth.csrf_ok(session, "")
    assert not auth.csrf_ok(session, None)
    assert not auth.csrf_ok(session, "é" + session.csrf)


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("127.0.0.1:4600", True),
        ("localhost:4600", True),
        ("[::1]:4600", True),
        ("127.0.0.1:4601", False),
        ("127.0.0.1", False),
        ("evil.example:4600", False),
        ("127.0.0.1.evil.example:4600", False),
        ("", False),
        (None, False),
    ],
)
def test_only_our_loopback_address_is_served(host: str | None, allowed: bool) -> None:
    assert auth.allowed_host(host, 4600) is allowed


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/registry/x", "/registry/x"),
        ("//evil.example/", "/pipelines"),
        ("https://evil.example/", "/pipelines"),
        ("/\\evil.example", "/pipelines"),
        ("", "/pipelines"),
        (None, "/pipelines"),
    ],
)
def test_login_redirects_only_within_the_dashboard(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected
