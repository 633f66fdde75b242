"""Pipeline pages: the list, one pipeline (workflows, jobs, holds), a job's log; approving or
rejecting a held job."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from mlci.pipeline.errors import PipelineError
from mlci.pipeline.state import ON_HOLD, QUEUED, RUNNING, Store
from mlci.pipeline.views import pipeline_view
from mlci.ui import pipelines
from mlci.ui.actions import ActionFailed, perform
from mlci.ui.auth import Session
from mlci.ui.cloud_access import CloudUnavailable
from mlci.ui.context import Dashboard
from mlci.ui.web import int_param, not_found, render

LIVE = (RUNNING, QUEUED)


def _dash(request: Request) -> Dashboard:
    dash: Dashboard = request.app.state.dash
    return dash


def _store(dash: Dashboard) -> Store | None:
    if dash.pipeline_store is None:
        dash.pipeline_store = pipelines.open_store(dash.repo)
    return dash.pipeline_store


def _require_store(dash: Dashboard) -> Store:
    store = _store(dash)
    if store is None:
        raise not_found(f"no pipeline has run in {dash.repo} yet")
    return store


async def pipelines_page(request: Request) -> Response:
    dash = _dash(request)
    page = int_param(request, "page", 1)
    context = await run_in_threadpool(_pipelines, dash, page)
    return render(request, "pipelines.html", **context)


def _pipelines(dash: Dashboard, page: int) -> dict[str, Any]:
    store = _store(dash)
    if store is None:
        return {"rows": [], "page_number": 1, "older": False, "repo": dash.repo, "live": False}
    rows, older = pipelines.page_of_pipelines(store, page)
    if not rows and page > 1:
        raise not_found(f"there is no page {page} of pipelines")
    live = any(r.view.status in LIVE for r in rows)
    return {"rows": rows, "page_number": page, "older": older, "repo": dash.repo, "live": live}


async def pipeline_page(request: Request) -> Response:
    dash = _dash(request)
    context = await run_in_threadpool(_pipeline, dash, request.path_params["number"])
    return render(request, "pipeline.html", **context)


def _pipeline(dash: Dashboard, number: int) -> dict[str, Any]:
    store = _require_store(dash)
    try:
        view = pipeline_view(store, number)
    except PipelineError as exc:
        raise not_found(str(exc)) from None
    return {
        "view": view,
        "duration": pipelines.duration(view),
        "workflow_duration": pipelines.workflow_duration,
        "live": view.status in LIVE or any(w.status in LIVE for w in view.workflows),
        "on_hold": ON_HOLD,
    }


async def job_page(request: Request) -> Response:
    dash = _dash(request)
    number, build = request.path_params["number"], request.path_params["build"]
    context = await run_in_threadpool(_job, dash, number, build)
    return render(request, "job.html", **context)


def _job(dash: Dashboard, number: int, build: int) -> dict[str, Any]:
    store = _require_store(dash)
    try:
        view = pipeline_view(store, number)
        workflow, job = pipelines.find_job(view, build)
    except PipelineError as exc:
        raise not_found(str(exc)) from None
    lines, skipped = pipelines.log_lines(store, number, job.row, _masker(dash))
    return {
        "view": view,
        "workflow": workflow,
        "job": job,
        "lines": lines,
        "skipped": skipped,
        "live": job.status in LIVE,
    }


def _masker(dash: Dashboard) -> Any:
    try:
        extra = [dash.clients.info.secret_access_key]
    except CloudUnavailable:
        extra = []
    return pipelines.display_masker(dash.repo, extra)


async def job_action(request: Request) -> Response:
    dash = _dash(request)
    number, build = request.path_params["number"], request.path_params["build"]
    decision = request.path_params["decision"]
    if decision not in ("approve", "reject"):
        raise not_found(f"no such action {decision!r}")

    def run(session: Session, form: dict[str, str]) -> str:
        store = _require_store(dash)
        try:
            if decision == "approve":
                return pipelines.approve(
                    dash.repo, dash.cloud_home, store, number, build, session.user
                )
            return pipelines.reject(dash.repo, store, number, build, session.user)
        except (PipelineError, pipelines.PipelineActionError) as exc:
            raise ActionFailed(str(exc)) from None

    target = f"pipeline {number} job {build}"
    return await perform(request, f"{decision}-job", target, run, f"/pipelines/{number}")
