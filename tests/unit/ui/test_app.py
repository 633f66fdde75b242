"""The dashboard over HTTP (uvicorn on a free port, no cloud running): signing in, the
checks in front of every action, escaping, 404 pages, and the pipeline pages."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlci.pipeline import env_store
from tests.unit.ui.pipeline_data import held_pipeline
from tests.unit.ui.ui_support import TOKEN, RunningUi, running_ui

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def ui(tmp_path: Path) -> Iterator[RunningUi]:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    with running_ui(repo, tmp_path / "no-cloud") as running:
        yield running


@pytest.fixture
def ui_outside_git(tmp_path: Path) -> Iterator[RunningUi]:
    repo = tmp_path / "not-a-repo"
    repo.mkdir()
    with running_ui(repo, tmp_path / "no-cloud") as running:
        yield running


def audit_rows(ui: RunningUi) -> list[tuple[str, str, str, str]]:
    return [(e.who, e.action, e.outcome, e.detail) for e in ui.dash.audit.recent()]


def test_pages_need_a_session_and_the_login_sets_a_strict_cookie(ui: RunningUi) -> None:
    client = ui.client()
    answer = client.get("/registry?x=1")
    assert answer.status == 303
    assert answer.headers["location"] == "/login?next=/registry%3Fx%3D1"
    refused = client.post("/login", {"token": "guess", "name": "mallory"})
    assert refused.status == 403
    assert "not the token" in refused.text
    assert client.session_cookie() is None
    answer = client.post("/login", {"token": TOKEN, "name": "Ann", "next": "/audit"})
    assert answer.status == 303 and answer.headers["location"] == "/audit"
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
    page = client.get("/audit")
    assert page.status == 200
    assert "content-security-policy" in page.headers
    assert ("mallory", "login", "refused", "wrong token") in audit_rows(ui)
    assert ("Ann", "login", "ok", "") in audit_rows(ui)


def test_actions_without_a_session_or_with_a_wrong_csrf_token_are_refused(
    ui: RunningUi,
) -> None:
    number, _, hold = held_pipeline(ui.dash.repo, "main", ["trained"])
    action = f"/pipelines/{number}/jobs/{hold}/approve"
    stranger = ui.client()
    assert stranger.post(action, {}).status == 403
    client = ui.client()
    client.login()
    csrf = client.get(f"/pipelines/{number}").csrf()
    assert client.post(action, {"csrf": "forged"}).status == 403
    assert client.post(action, {}).status == 403
    foreign = client.post(action, {"csrf": csrf}, headers={"Origin": "http://evil.example"})
    assert foreign.status == 403 and "another origin" in foreign.text
    wrong_type = client.request(
        "POST", action, body=b"csrf=" + csrf.encode(), headers={"Content-Type": "text/plain"}
    )
    assert wrong_type.status == 400
    outcomes = [(who, act, outcome) for who, act, outcome, _ in audit_rows(ui)]
    assert outcomes.count(("reviewer", "approve-job", "refused")) == 3
    assert ("(not signed in)", "approve-job", "refused") in outcomes
    # Still on hold: none of the refused posts did anything.
    assert "Approve</button>" in client.get(f"/pipelines/{number}").text


def test_an_approval_the_runner_refuses_is_reported_and_audited(
    ui_outside_git: RunningUi,
) -> None:
    ui = ui_outside_git
    number, _, hold = held_pipeline(ui.dash.repo, "main", [])
    client = ui.client()
    client.login()
    csrf = client.get(f"/pipelines/{number}").csrf()
    answer = client.post(f"/pipelines/{number}/jobs/{hold}/approve", {"csrf": csrf})
    assert answer.status == 409
    assert "the approval failed" in answer.text and "not in a git repository" in answer.text
    assert audit_rows(ui)[0][1:3] == ("approve-job", "failed")
    assert "Approve</button>" in client.get(f"/pipelines/{number}").text


def test_a_foreign_host_header_is_refused(ui: RunningUi) -> None:
    answer = ui.client().get("/login", headers={"Host": "evil.example"})
    assert answer.status == 400 and "unexpected Host" in answer.text


def test_names_and_logs_are_shown_as_text_and_secrets_stay_masked(ui: RunningUi) -> None:
    env_store.set_variable(ui.dash.repo, "API_TOKEN", "s3cr3t-value-123")
    number, train, _ = held_pipeline(
        ui.dash.repo, f"feature/{SCRIPT}", [f"==> [1] step {SCRIPT}", "leaked s3cr3t-value-123"]
    )
    client = ui.client()
    client.login(name=SCRIPT)
    for path in ("/pipelines", f"/pipelines/{number}", f"/pipelines/{number}/jobs/{train}"):
        text = client.get(path).text
        assert SCRIPT not in text, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, path
    log = client.get(f"/pipelines/{number}/jobs/{train}").text
    assert "s3cr3t-value-123" not in log and "leaked ********" in log


def test_unknown_ids_are_404_pages(ui: RunningUi) -> None:
    client = ui.client()
    client.login()
    assert client.get("/pipelines/1").status == 404  # no pipeline has run here
    number, train, _ = held_pipeline(ui.dash.repo, "main", [])
    for path in (
        "/pipelines/999",
        f"/pipelines/{number}/jobs/99999",
        f"/nope/{SCRIPT}",
        "/pipelines?page=9",
    ):
        answer = client.get(path)
        assert answer.status == 404, path
        assert "<h1>Not found</h1>" in answer.text and SCRIPT not in answer.text
    assert client.get("/pipelines?page=x").status == 400
    assert client.get(f"/pipelines/{number}/jobs/{train}").status == 200


def test_cloud_pages_say_the_cloud_is_not_running(ui: RunningUi) -> None:
    client = ui.client()
    client.login()
    for path in ("/registry", "/registry/g/1", "/endpoints", "/endpoints/e"):
        answer = client.get(path)
        assert answer.status == 503, path
        assert "the cloud is not running" in answer.text


def test_reject_cancels_the_held_workflow_and_is_audited(ui: RunningUi) -> None:
    number, _, hold = held_pipeline(ui.dash.repo, "main", [])
    client = ui.client()
    client.login(name="Rick")
    csrf = client.get(f"/pipelines/{number}").csrf()
    answer = client.post(f"/pipelines/{number}/jobs/{hold}/reject", {"csrf": csrf})
    assert answer.status == 303
    page = client.get(answer.headers["location"])
    assert "that workflow is canceled" in page.text
    assert "status-canceled" in page.text
    again = client.post(f"/pipelines/{number}/jobs/{hold}/reject", {"csrf": csrf})
    assert again.status == 409 and "not on hold" in again.text
    assert [(w, a, o) for w, a, o, _ in audit_rows(ui)][:2] == [
        ("Rick", "reject-job", "failed"),
        ("Rick", "reject-job", "ok"),
    ]


def test_signing_out_ends_the_session(ui: RunningUi) -> None:
    client = ui.client()
    client.login()
    csrf = client.get("/audit").csrf()
    assert client.post("/logout", {"csrf": csrf}).status == 303
    assert client.get("/audit").status == 303
