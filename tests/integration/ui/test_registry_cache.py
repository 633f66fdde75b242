"""The registry cache against a real cloud: what other clients change shows on the next load
once the cache is filled, and pages are right (statuses current, unread rows said to be so)
while the start-up fill is still running."""

from __future__ import annotations

import re
import threading
import time

import pytest

from mlci.ui import pages_registry
from tests.conftest import RunningCloud
from tests.integration.ui.test_cloud_pages import make_group
from tests.unit.ui.ui_support import Answer, Client, RunningUi


def package_arns(cloud: RunningCloud, group: str) -> dict[int, str]:
    listed = cloud.client("sagemaker").list_model_packages(
        ModelPackageGroupName=group, MaxResults=100
    )
    return {
        s["ModelPackageVersion"]: s["ModelPackageArn"] for s in listed["ModelPackageSummaryList"]
    }


def row_of(page: Answer, number: int) -> str:
    match = re.search(
        rf'<tr>\s*<td><a href="[^"]*/{number}">v{number}</a>.*?</tr>', page.text, re.S
    )
    assert match, f"no row for v{number}"
    return match.group(0)


def test_an_approval_through_boto3_after_the_fill_shows_on_the_next_load(
    cloud: RunningCloud, ui: RunningUi, client: Client
) -> None:
    group = make_group(cloud, [2.5, 2.0, 2.25])
    ui.dash.registry.refresh_all()  # what `mlci ui` does at start
    assert "Approved" not in row_of(client.get(f"/registry/{group}"), 2)
    cloud.client("sagemaker").update_model_package(
        ModelPackageArn=package_arns(cloud, group)[2],
        ModelApprovalStatus="Approved",
        ApprovalDescription="approved by a script",
    )
    row = row_of(client.get(f"/registry/{group}"), 2)
    assert "Approved" in row and "approved by a script" in row  # details read again
    assert "PendingManualApproval" in row_of(client.get(f"/registry/{group}"), 3)
    version = client.get(f"/registry/{group}/2").text
    assert f'{group} v2 <span class="status status-approved">Approved</span>' in version
    assert "approved by a script" in version
    listing = client.get("/registry").text
    counts = re.search(rf">{group}</a>.*?</tr>", listing, re.S)
    assert counts and re.findall(r"<td>(\d+)</td>", counts.group(0))[1:3] == ["2", "1"]


def test_rows_not_read_yet_say_so_and_their_status_is_current(
    cloud: RunningCloud, ui: RunningUi, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # More rows to read than a page always waits for, and no time to wait for them.
    count = pages_registry.FEW_ROWS + 4
    group = make_group(cloud, [2.0 + n / 100 for n in range(count)])
    cloud.client("sagemaker").update_model_package(
        ModelPackageArn=package_arns(cloud, group)[5], ModelApprovalStatus="Approved"
    )
    monkeypatch.setattr(pages_registry, "ROWS_WAIT_SECONDS", 0.0)
    first = client.get(f"/registry/{group}")
    assert first.status == 200 and f"Versions ({count})" in first.text
    assert f"The details of {count} version(s) on this page are still being read" in first.text
    assert first.text.count("being read</span>") == count
    assert "Approved" in row_of(first, 5)
    assert "PendingManualApproval" in row_of(first, 4)
    # The reads asked for go on after the page; a reload shows them.
    deadline = time.monotonic() + 30
    while "still being read" in (later := client.get(f"/registry/{group}")).text:
        assert time.monotonic() < deadline, "the rows were never read"
        time.sleep(0.05)
    assert later.text.count("rmse = ") == count
    assert "rmse = 2.05" in row_of(later, 6)


def test_pages_during_the_start_up_fill_are_right(
    cloud: RunningCloud, ui: RunningUi, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    count = 30
    group = make_group(cloud, [3.0 + n / 100 for n in range(count)])
    cloud.client("sagemaker").update_model_package(
        ModelPackageArn=package_arns(cloud, group)[count], ModelApprovalStatus="Rejected"
    )
    monkeypatch.setattr(pages_registry, "ROWS_WAIT_SECONDS", 0.0)
    filling = threading.Thread(target=ui.dash.registry.refresh_all)
    filling.start()
    try:
        page = client.get(f"/registry/{group}")
        version = client.get(f"/registry/{group}/{count}")
    finally:
        filling.join(60)
    assert page.status == 200 and f"Versions ({count})" in page.text
    assert "Rejected" in row_of(page, count)
    unread = page.text.count("being read</span>")
    assert page.text.count("rmse = ") == count - unread
    if unread:
        assert f"The details of {unread} version(s)" in page.text
    # The version page always reads its package now, filled or not.
    assert "rmse</td><td>3.29" in version.text.replace("\n", "")
    assert ui.dash.registry.filled.is_set()
    after = client.get(f"/registry/{group}")
    assert "still being read" not in after.text and after.text.count("rmse = ") == count
    assert after.text.count("<circle") == count
