"""Registry pages: the groups, a group's versions, one version against the one deployed;
and approving or rejecting a version."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from mlci.ui import plot
from mlci.ui.actions import ActionFailed, perform
from mlci.ui.auth import Session
from mlci.ui.context import Dashboard
from mlci.ui.metrics import compare, plotted_metric
from mlci.ui.registry import VERSIONS_PER_PAGE, Detail, NotFound, Version
from mlci.ui.serving import deployed_versions
from mlci.ui.web import int_param, not_found, render

STATUSES = {"approve": "Approved", "reject": "Rejected"}
# How long a group page waits for the details of its rows not read yet when there are many
# (while `mlci ui` is still filling its cache at start): rows still unread then say so, and
# a reload has them. A few (new versions since the last background pass) are always waited for.
ROWS_WAIT_SECONDS = 0.1
FEW_ROWS = 10


def audit_target(group: str, number: int) -> str:
    """How package actions are named in the audit log."""
    return f"model package {group}/{number}"


def _dash(request: Request) -> Dashboard:
    dash: Dashboard = request.app.state.dash
    return dash


async def groups_page(request: Request) -> Response:
    dash = _dash(request)
    groups = await run_in_threadpool(_groups, dash)
    return render(request, "groups.html", groups=groups, listed_at=dash.registry.groups_listed_at)


def _groups(dash: Dashboard) -> list[dict[str, Any]]:
    rows = []
    for group in dash.registry.refresh_groups():
        dash.registry.ensure_listed(group)
        versions = group.newest_first()
        counts: dict[str, int] = {}
        for version in versions:
            counts[version.status] = counts.get(version.status, 0) + 1
        rows.append({"group": group, "latest": versions[0] if versions else None, "counts": counts})
    return rows


async def group_page(request: Request) -> Response:
    dash = _dash(request)
    name = request.path_params["group"]
    page = int_param(request, "page", 1)
    wanted_metric = request.query_params.get("metric")
    try:
        context = await run_in_threadpool(_group, dash, name, page, wanted_metric)
    except NotFound as exc:
        raise not_found(str(exc)) from None
    return render(request, "group.html", **context)


def _group(dash: Dashboard, name: str, page: int, wanted_metric: str | None) -> dict[str, Any]:
    group = dash.registry.group(name)
    versions = group.newest_first()
    pages = max(1, -(-len(versions) // VERSIONS_PER_PAGE))
    if page > pages:
        raise NotFound(f"group {name!r} has {pages} page(s) of versions, not {page}")
    shown = versions[(page - 1) * VERSIONS_PER_PAGE : page * VERSIONS_PER_PAGE]
    many = dash.registry.unread(shown) > FEW_ROWS
    details = dash.registry.details(shown, wait_seconds=ROWS_WAIT_SECONDS if many else None)
    # For the plot: whatever is known of the others (metrics never change, so details read
    # with an older status will do); the background reads the rest.
    dash.registry.queue_details(versions)
    known = dash.registry.cached_details(v.arn for v in versions)
    known.update(details)
    metric_rows = [known[v.arn].metrics.values for v in versions if v.arn in known]
    metric = plotted_metric(metric_rows, wanted_metric)
    points = [
        (v.number, known[v.arn].metrics.values[metric])
        for v in reversed(versions)
        if metric and v.arn in known and metric in known[v.arn].metrics.values
    ]
    served = deployed_versions(dash, group.name)
    audits = dash.audit.for_targets([audit_target(group.name, v.number) for v in shown])
    return {
        "group": group,
        "versions": shown,
        "details": details,
        "audits": audits,
        "page_number": page,
        "pages": pages,
        "total": len(versions),
        "metric": metric,
        "metric_names": sorted({n for values in metric_rows for n in values}),
        "svg": plot.line_plot(points, metric or "", highlight={v for v, _ in served.values()}),
        "missing": len(versions) - len([v for v in versions if v.arn in known]),
        "unread": len([v for v in shown if v.arn not in details]),
        "served": served,
    }


async def version_page(request: Request) -> Response:
    dash = _dash(request)
    name, number = request.path_params["group"], request.path_params["version"]
    try:
        context = await run_in_threadpool(_version, dash, name, number)
    except NotFound as exc:
        raise not_found(str(exc)) from None
    return render(request, "version.html", **context)


def _version(dash: Dashboard, name: str, number: int) -> dict[str, Any]:
    group, version, detail = dash.registry.package(name, number)
    served = deployed_versions(dash, group.name)
    baseline: tuple[str, Version, Detail] | None = None
    for endpoint, (served_number, arn) in sorted(served.items()):
        if arn == version.arn:
            continue
        try:
            _, other, other_detail = dash.registry.package(name, served_number)
        except NotFound:
            continue
        baseline = (endpoint, other, other_detail)
        break
    deltas = compare(detail.metrics.values, baseline[2].metrics.values) if baseline else []
    target = audit_target(group.name, version.number)
    audit = dash.audit.for_targets([target]).get(target)
    serving_here = sorted(e for e, (_, arn) in served.items() if arn == version.arn)
    return {
        "group": group,
        "version": version,
        "detail": detail,
        "baseline": baseline,
        "deltas": deltas,
        "audit": audit,
        "serving_here": serving_here,
        "statuses": STATUSES,
    }


async def set_status(request: Request) -> Response:
    dash = _dash(request)
    name, number = request.path_params["group"], request.path_params["version"]
    decision = request.path_params["decision"]
    if decision not in STATUSES:
        raise not_found(f"no such action {decision!r}")
    back = f"/registry/{name}/{number}"

    def run(session: Session, form: dict[str, str]) -> str:
        return _update_status(dash, session, name, number, STATUSES[decision], form)

    return await perform(request, f"{decision}-package", audit_target(name, number), run, back)


def _update_status(
    dash: Dashboard, session: Session, name: str, number: int, status: str, form: dict[str, str]
) -> str:
    from botocore.exceptions import ClientError

    try:
        _, version, _ = dash.registry.package(name, number)
    except NotFound as exc:
        raise ActionFailed(str(exc)) from None
    comment = form.get("comment", "").strip()
    description = f"{status} by {session.user} in mlci ui" + (f": {comment}" if comment else "")
    try:
        dash.clients.sagemaker(action=True).update_model_package(
            ModelPackageArn=version.arn,
            ModelApprovalStatus=status,
            ApprovalDescription=description[:1024],
        )
    except ClientError as exc:
        raise ActionFailed(f"SageMaker refused: {exc.response['Error'].get('Message')}") from None
    dash.registry.read_detail(version.arn)
    dash.registry.group(name)  # relists the newest versions
    return f"{name} v{number} is {status}"
