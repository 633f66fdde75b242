"""Registry and endpoint pages against a real cloud (boto3-made packages): versions with
their metrics and approval, approve/reject with a comment, 404 pages for unknown names,
descriptions and comments shown as text."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.conftest import RunningCloud
from tests.unit.ui.ui_support import Client, RunningUi

SCRIPT = "<script>alert(1)</script>"


def make_group(cloud: RunningCloud, versions: list[float]) -> str:
    """A group whose versions carry model-quality statistics with these rmse values."""
    sm, s3 = cloud.client("sagemaker"), cloud.client("s3")
    group = f"ui-{uuid.uuid4().hex[:10]}"
    sm.create_model_package_group(
        ModelPackageGroupName=group, ModelPackageGroupDescription=f"group {SCRIPT}"
    )
    s3.create_bucket(Bucket=group)
    for number, rmse in enumerate(versions, start=1):
        document = {"regression_metrics": {"rmse": {"value": rmse}}}
        s3.put_object(Bucket=group, Key=f"{number}.json", Body=json.dumps(document).encode())
        sm.create_model_package(
            ModelPackageGroupName=group,
            ModelPackageDescription=f"v{number} {SCRIPT}",
            InferenceSpecification=_inference(),
            ModelMetrics={
                "ModelQuality": {
                    "Statistics": {
                        "ContentType": "application/json",
                        "S3Uri": f"s3://{group}/{number}.json",
                    }
                }
            },
            CustomerMetadataProperties={"git_commit": f"{number:040x}", "note": SCRIPT},
        )
    return group


def _inference() -> dict[str, Any]:
    return {
        "Containers": [{"Image": "x/sagemaker-xgboost:1.7-1", "ModelDataUrl": "s3://b/m.tar.gz"}],
        "SupportedContentTypes": ["text/csv"],
        "SupportedResponseMIMETypes": ["text/csv"],
    }


def test_a_group_lists_versions_with_metrics_commit_and_plot(
    cloud: RunningCloud, client: Client
) -> None:
    group = make_group(cloud, [2.5, 2.0, 2.25])
    page = client.get(f"/registry/{group}")
    assert page.status == 200
    assert SCRIPT not in page.text and "v3 &lt;script&gt;" in page.text
    assert page.text.count("rmse = ") == 3
    assert f"{3:040x}"[:12] in page.text
    assert page.text.count("<circle") == 3 and "rmse by version" in page.text
    listing = client.get("/registry")
    assert group in listing.text and SCRIPT not in listing.text


def test_approve_and_reject_with_a_comment(cloud: RunningCloud, client: Client) -> None:
    group = make_group(cloud, [2.5, 2.0])
    csrf = client.get(f"/registry/{group}/2").csrf()
    answer = client.post(f"/registry/{group}/2/approve", {"csrf": csrf, "comment": SCRIPT})
    assert answer.status == 303
    shown = client.get(answer.headers["location"])
    assert f"{group} v2 is Approved" in shown.text
    assert SCRIPT not in shown.text and "Approved by Val in mlci ui: &lt;script&gt;" in shown.text
    sm = cloud.client("sagemaker")
    arn = sm.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"][-1]
    described = sm.describe_model_package(ModelPackageName=arn["ModelPackageArn"])
    assert described["ModelApprovalStatus"] == "Approved"
    assert described["ApprovalDescription"] == f"Approved by Val in mlci ui: {SCRIPT}"
    client.post(f"/registry/{group}/1/reject", {"csrf": csrf, "comment": "worse"})
    listing = client.get(f"/registry/{group}").text
    assert "approve-package by Val" in listing and "reject-package by Val" in listing


def test_unknown_groups_versions_and_endpoints_are_404(
    cloud: RunningCloud, client: Client, ui: RunningUi
) -> None:
    group = make_group(cloud, [1.0])
    for path in (
        "/registry/no-such-group",
        f"/registry/{group}/7",
        f"/registry/{group}?page=3",
        "/endpoints/no-such-endpoint",
    ):
        answer = client.get(path)
        assert answer.status == 404, path
        assert "Not found" in answer.text
    csrf = client.get("/audit").csrf()
    missing = client.post(f"/registry/{group}/7/reject", {"csrf": csrf})
    assert missing.status == 409 and "has no version 7" in missing.text
    assert client.post(f"/registry/{group}/1/delete", {"csrf": csrf}).status == 404
    refused = client.post("/endpoints/no-such-endpoint/rollback", {"csrf": csrf})
    assert refused.status == 409 and "cannot read endpoint no-such-endpoint" in refused.text
    outcomes = [(e.action, e.outcome) for e in ui.dash.audit.recent()][:2]
    assert outcomes == [("rollback-endpoint", "failed"), ("reject-package", "failed")]


def test_the_endpoints_page_without_endpoints_or_invocation_figures(client: Client) -> None:
    page = client.get("/endpoints")
    assert page.status == 200
    assert "Endpoints" in page.text
