"""The reviewer's loop in a real browser: a pipeline runs to its hold, the reviewer signs in,
approves in the dashboard and sees the workflow finish; after the merge the endpoint appears;
a second model version is compared with the deployed one and rejected; the endpoint is rolled
back; and actions without the token are refused. Screenshots of the main pages are saved under
the test's tmp dir.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RunningCloud
from tests.integration.ui.browser_support import Example, mlci_ui

pytestmark = pytest.mark.slow
ROLE = "arn:aws:iam::{account}:role/sagemaker-execution"


def shot(page: Any, folder: Path, name: str) -> Path:
    path = folder / f"ui-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Any, url: str, token: str, name: str = "Rita Reviewer") -> None:
    page.goto(url + "/pipelines")
    assert "/login" in page.url  # no session: the login form first
    page.fill("input[name=token]", token)
    page.fill("input[name=name]", name)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/pipelines$"))


def wait_for_text(page: Any, selector: str, text: str, timeout: float = 120) -> None:
    """Until `selector` shows `text`; the page reloads itself while something runs."""
    page.wait_for_function(
        "([sel, text]) => Array.from(document.querySelectorAll(sel))"
        ".some(e => e.textContent.includes(text))",
        arg=[selector, text],
        timeout=timeout * 1000,
    )


def status_of(example: Example, number: int) -> dict[str, Any]:
    return dict(json.loads(example.mlci("status", "--json", str(number)).stdout))


@pytest.fixture(scope="module")
def example(ui_cloud: RunningCloud, tmp_path_factory: pytest.TempPathFactory) -> Example:
    repo = Example(tmp_path_factory.mktemp("ui-example") / "monorepo", ui_cloud.home)
    repo.mlci(
        "env", "set", "SAGEMAKER_EXECUTION_ROLE_ARN", ROLE.format(account=ui_cloud.account_id)
    )
    repo.mlci("env", "set", "ENDPOINT_WAIT_DELAY_SECONDS", "1")
    return repo


def test_approve_deploy_compare_reject_roll_back(
    example: Example, ui_cloud: RunningCloud, browser: Any, tmp_path: Path
) -> None:
    example.change("abalone_model", "feature/deeper", "deeper trees")
    example.mlci("run")
    assert status_of(example, 1)["status"] == "on_hold"
    sm = ui_cloud.client("sagemaker")

    with mlci_ui(example.root, ui_cloud.home) as ui:
        page = browser.new_context().new_page()
        sign_in(page, ui.url, ui.token)
        assert (
            page.locator("tr", has_text="feature/deeper").locator(".status").first.inner_text()
            == "on_hold"
        )
        shot(page, tmp_path, "pipelines")

        # Approve in the browser: the workflow goes on and finishes.
        page.click("a[href='/pipelines/1']")
        page.click("form[action$='/approve'] button")
        wait_for_text(page, ".flash", "approved abalone-model/request-deployment")
        wait_for_text(page, "h1", "success")
        shot(page, tmp_path, "pipeline")
        approval = status_of(example, 1)["workflows"][1]["jobs"][1]
        assert approval["approved_by"] == "Rita Reviewer"

        # On main, the approved package is deployed: the endpoint appears.
        example.merge_to_main("feature/deeper")
        example.mlci("run")
        page.goto(ui.url + "/endpoints")
        row = page.locator("tr", has_text="abalone-model")
        assert "InService" in row.inner_text()
        assert "abalone-model v1" in row.inner_text()
        # The deploy job's smoke test invoked it: CloudWatch's figures show it.
        assert "Invocation figures unavailable" not in page.inner_text("main")
        shot(page, tmp_path, "endpoints")

        # A second version, on a branch, compared with the one serving now, then rejected.
        example.change(
            "abalone_model",
            "feature/fewer-rounds",
            "fewer rounds",
            ('"num_round": 50', '"num_round": 5'),
        )
        example.mlci("run")
        page.goto(ui.url + "/registry/abalone-model")
        assert page.locator("tr", has_text="v2").locator(".status").inner_text() == (
            "PendingManualApproval"
        )
        assert page.locator("svg.plot circle").count() == 2
        shot(page, tmp_path, "group")
        page.click("a[href='/registry/abalone-model/2']")
        assert "which endpoint abalone-model serves now" in page.inner_text("main")
        delta = page.locator("table.deltas tr", has_text="validation:rmse")
        assert "worse" in delta.inner_text()  # 5 boosting rounds instead of 50
        shot(page, tmp_path, "version")
        page.fill("form[action$='/reject'] input[name=comment]", "worse <b>rmse</b>")
        page.click("form[action$='/reject'] button")
        wait_for_text(page, ".flash", "abalone-model v2 is Rejected")
        package = sm.describe_model_package(
            ModelPackageName=sm.list_model_packages(ModelPackageGroupName="abalone-model")[
                "ModelPackageSummaryList"
            ][-1]["ModelPackageArn"]
        )
        assert package["ModelPackageVersion"] == 2
        assert package["ModelApprovalStatus"] == "Rejected"
        assert package["ApprovalDescription"] == (
            "Rejected by Rita Reviewer in mlci ui: worse <b>rmse</b>"
        )
        assert "worse <b>rmse</b>" in page.inner_text("main")  # shown as text, not markup

        # Roll back: a hand-made deployment, then back to what main deployed.
        deployed = sm.describe_endpoint(EndpointName="abalone-model")["EndpointConfigName"]
        manual_deployment(sm, deployed)
        page.goto(ui.url + "/endpoints/abalone-model")
        assert "abalone-model-manual" in page.inner_text("main")
        # As a deploy script's clean-up would: the old configuration and model are deleted.
        old_model = sm.describe_endpoint_config(EndpointConfigName=deployed)["ProductionVariants"][
            0
        ]["ModelName"]
        sm.delete_endpoint_config(EndpointConfigName=deployed)
        sm.delete_model(ModelName=old_model)
        page.reload()
        page.click("form[action$='/rollback'] button")
        wait_for_text(page, ".flash", f"endpoint abalone-model rolled back to {deployed}")
        now = sm.describe_endpoint(EndpointName="abalone-model")
        assert now["EndpointStatus"] == "InService"
        assert now["EndpointConfigName"].startswith("abalone-model-rollback-")
        shot(page, tmp_path, "endpoint")

        # The audit log says who did what.
        page.goto(ui.url + "/audit")
        text = page.inner_text("main")
        for action in ("approve-job", "reject-package", "rollback-endpoint"):
            assert re.search(rf"Rita Reviewer\s+{action}", text), text
        shot(page, tmp_path, "audit")


def manual_deployment(sm: Any, serving_config: str) -> None:
    """UpdateEndpoint to a configuration made by hand from the model that serves now."""
    variant = sm.describe_endpoint_config(EndpointConfigName=serving_config)["ProductionVariants"][
        0
    ]
    model = sm.describe_model(ModelName=variant["ModelName"])
    sm.create_model(
        ModelName="abalone-model-manual",
        ExecutionRoleArn=model["ExecutionRoleArn"],
        Containers=model["Containers"],
    )
    sm.create_endpoint_config(
        EndpointConfigName="abalone-model-manual",
        ProductionVariants=[
            {**variant, "ModelName": "abalone-model-manual", "VariantName": "Manual"}
        ],
    )
    sm.update_endpoint(EndpointName="abalone-model", EndpointConfigName="abalone-model-manual")
    assert (
        sm.describe_endpoint(EndpointName="abalone-model")["EndpointConfigName"]
        == "abalone-model-manual"
    )


def test_actions_without_the_token_are_refused(
    example: Example, ui_cloud: RunningCloud, browser: Any, tmp_path: Path
) -> None:
    with mlci_ui(example.root, ui_cloud.home) as ui:
        # A page on another origin posts a form to the dashboard: no session cookie goes with
        # it (SameSite=Strict), and the dashboard refuses and records the attempt.
        context = browser.new_context()
        page = context.new_page()
        sign_in(page, ui.url, ui.token, name="Someone")
        forged = context.new_page()
        forged.set_content(
            f'<form method="post" action="{ui.url}/registry/abalone-model/1/reject">'
            '<input name="comment" value="forged"><button>go</button></form>'
        )
        forged.click("button")
        forged.wait_for_load_state()
        assert "Refused: not signed in" in forged.inner_text("body")
        # Without signing in at all.
        stranger = browser.new_context().new_page()
        stranger.set_content(
            f'<form method="post" action="{ui.url}/endpoints/abalone-model/rollback">'
            "<button>go</button></form>"
        )
        stranger.click("button")
        stranger.wait_for_load_state()
        assert "Refused" in stranger.inner_text("body")
        page.goto(ui.url + "/audit")
        refused = page.locator("tr", has_text="refused")
        assert refused.count() >= 2
        assert (
            page.locator("tr", has_text="reject-package").first.inner_text().count("refused") == 1
        )
