"""ListModelPackages and ListModelPackageGroups: filters, both sort orders, NextToken paging."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import RunningCloud
from tests.integration.cloud.sagemaker_support import INFERENCE_SPECIFICATION, raw_call, unique

STATUSES = ("Approved", "PendingManualApproval", "Rejected")


@pytest.fixture(scope="module")
def tag() -> str:
    """A token in the name of every group this module creates, to list only those."""
    return unique("lst")


@pytest.fixture(scope="module")
def groups(sm: Any, tag: str) -> list[str]:
    names = [f"{tag}-b", f"{tag}-a", f"{tag}-c"]  # created in this order, not by name
    for name in names:
        sm.create_model_package_group(ModelPackageGroupName=name)
    return names


@pytest.fixture(scope="module")
def packages(sm: Any, groups: list[str]) -> list[dict[str, Any]]:
    """Twelve versions in the first group (statuses cycling), two in the second; described."""
    arns = []
    for index in range(12):
        reply = sm.create_model_package(
            ModelPackageGroupName=groups[0],
            InferenceSpecification=INFERENCE_SPECIFICATION,
            ModelApprovalStatus=STATUSES[index % 3],
        )
        arns.append(reply["ModelPackageArn"])
    for _ in range(2):
        reply = sm.create_model_package(
            ModelPackageGroupName=groups[1], InferenceSpecification=INFERENCE_SPECIFICATION
        )
        arns.append(reply["ModelPackageArn"])
    return [sm.describe_model_package(ModelPackageName=arn) for arn in arns]


def collect(call: Callable[..., Any], key: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a List* call, following NextToken; asserts pages respect MaxResults."""
    items: list[dict[str, Any]] = []
    token = None
    while True:
        page = call(**params, **({"NextToken": token} if token else {}))
        assert len(page[key]) <= params.get("MaxResults", 10)
        items.extend(page[key])
        token = page.get("NextToken")
        if not token:
            return items


def arns_of(items: list[dict[str, Any]], key: str = "ModelPackageArn") -> list[str]:
    return [item[key] for item in items]


def in_group(packages: list[dict[str, Any]], group: str) -> list[dict[str, Any]]:
    return [p for p in packages if p["ModelPackageGroupName"] == group]


@pytest.mark.parametrize("order", ["Ascending", "Descending"])
@pytest.mark.parametrize("page_size", [1, 5, 100])
def test_a_groups_versions_page_through_once_each_in_order(
    sm: Any, groups: list[str], packages: list[dict[str, Any]], order: str, page_size: int
) -> None:
    listed = collect(
        sm.list_model_packages,
        "ModelPackageSummaryList",
        ModelPackageGroupName=groups[0],
        SortBy="CreationTime",
        SortOrder=order,
        MaxResults=page_size,
    )
    expected = arns_of(in_group(packages, groups[0]))
    assert arns_of(listed) == (expected if order == "Ascending" else expected[::-1])


def test_the_default_order_is_oldest_first_ten_per_page(
    sm: Any, groups: list[str], packages: list[dict[str, Any]]
) -> None:
    page = sm.list_model_packages(ModelPackageGroupName=groups[0])
    assert arns_of(page["ModelPackageSummaryList"]) == arns_of(in_group(packages, groups[0]))[:10]
    assert page["NextToken"]


def test_newest_approved_version_is_one_call(
    sm: Any, groups: list[str], packages: list[dict[str, Any]]
) -> None:
    page = sm.list_model_packages(
        ModelPackageGroupName=groups[0],
        ModelApprovalStatus="Approved",
        SortBy="CreationTime",
        SortOrder="Descending",
        MaxResults=1,
    )
    approved = [p for p in in_group(packages, groups[0]) if p["ModelApprovalStatus"] == "Approved"]
    (summary,) = page["ModelPackageSummaryList"]
    assert summary["ModelPackageArn"] == approved[-1]["ModelPackageArn"]
    assert summary["ModelPackageVersion"] == 10
    assert summary["ModelPackageGroupName"] == groups[0]
    assert summary["ModelApprovalStatus"] == "Approved"
    assert summary["ModelPackageStatus"] == "Completed"
    assert "NextToken" in page


@pytest.mark.parametrize("status", STATUSES)
def test_approval_status_filters(
    sm: Any, groups: list[str], packages: list[dict[str, Any]], status: str
) -> None:
    listed = collect(
        sm.list_model_packages,
        "ModelPackageSummaryList",
        ModelPackageGroupName=groups[0],
        ModelApprovalStatus=status,
        MaxResults=3,
    )
    expected = [p for p in in_group(packages, groups[0]) if p["ModelApprovalStatus"] == status]
    assert arns_of(listed) == arns_of(expected)
    assert {item["ModelApprovalStatus"] for item in listed} == {status}


def test_the_group_can_be_named_by_arn(
    sm: Any, groups: list[str], packages: list[dict[str, Any]]
) -> None:
    arn = sm.describe_model_package_group(ModelPackageGroupName=groups[1])["ModelPackageGroupArn"]
    listed = sm.list_model_packages(ModelPackageGroupName=arn)["ModelPackageSummaryList"]
    assert arns_of(listed) == arns_of(in_group(packages, groups[1]))


def exact_creation_time(cloud: RunningCloud, operation: str, **params: Any) -> float:
    """CreationTime as the server sent it: boto3 would round-trip it through datetime."""
    return float(raw_call(cloud, operation, params).body["CreationTime"])


def test_creation_time_bounds_are_exclusive(
    sm: Any, cloud: RunningCloud, groups: list[str], packages: list[dict[str, Any]]
) -> None:
    mine = in_group(packages, groups[0])
    times = [
        exact_creation_time(cloud, "DescribeModelPackage", ModelPackageName=p["ModelPackageArn"])
        for p in mine
    ]
    low, high = times[3], times[8]
    # boto3 sends timestamps as whole seconds; a raw request keeps the milliseconds
    reply = raw_call(
        cloud,
        "ListModelPackages",
        {
            "ModelPackageGroupName": groups[0],
            "CreationTimeAfter": low,
            "CreationTimeBefore": high,
            "MaxResults": 100,
        },
    )
    expected = [p for p, t in zip(mine, times, strict=True) if low < t < high]
    assert arns_of(reply.body["ModelPackageSummaryList"]) == arns_of(expected)
    assert 4 <= len(expected) <= 6  # 4 unless some shared a millisecond with a bound


def test_creation_time_bounds_given_as_datetimes(
    sm: Any, groups: list[str], packages: list[dict[str, Any]]
) -> None:
    hour = timedelta(hours=1)
    created = packages[0]["CreationTime"]
    for after, before, count in ((created - hour, created + hour, 12), (created + hour, None, 0)):
        listed = sm.list_model_packages(
            ModelPackageGroupName=groups[0],
            CreationTimeAfter=after,
            MaxResults=100,
            **({"CreationTimeBefore": before} if before else {}),
        )
        assert len(listed["ModelPackageSummaryList"]) == count


@pytest.mark.parametrize("order", ["Ascending", "Descending"])
def test_sorting_by_name_orders_groups_then_versions(
    sm: Any, tag: str, groups: list[str], packages: list[dict[str, Any]], order: str
) -> None:
    listed = collect(
        sm.list_model_packages,
        "ModelPackageSummaryList",
        ModelPackageType="Versioned",
        NameContains=tag.upper(),  # NameContains ignores case
        SortBy="Name",
        SortOrder=order,
        MaxResults=4,
    )
    expected = sorted(
        packages, key=lambda p: (p["ModelPackageGroupName"], p["ModelPackageVersion"])
    )
    assert arns_of(listed) == arns_of(expected if order == "Ascending" else expected[::-1])
    assert "ModelPackageName" not in listed[0]  # versions are listed by group and number


def test_package_type_separates_versioned_from_unversioned(
    sm: Any, tag: str, packages: list[dict[str, Any]]
) -> None:
    lone = sm.create_model_package(
        ModelPackageName=f"{tag}-lone", InferenceSpecification=INFERENCE_SPECIFICATION
    )["ModelPackageArn"]
    by_type = {
        kind: arns_of(
            collect(
                sm.list_model_packages,
                "ModelPackageSummaryList",
                NameContains=tag,
                MaxResults=100,
                **({"ModelPackageType": kind} if kind else {}),
            )
        )
        for kind in (None, "Unversioned", "Versioned", "Both")
    }
    assert by_type[None] == by_type["Unversioned"] == [lone]
    assert by_type["Versioned"] == arns_of(packages)
    assert by_type["Both"] == [*arns_of(packages), lone]
    in_group_unversioned = sm.list_model_packages(
        ModelPackageGroupName=f"{tag}-b", ModelPackageType="Unversioned"
    )
    assert in_group_unversioned["ModelPackageSummaryList"] == []


def test_a_next_token_only_continues_the_query_that_issued_it(
    sm: Any, groups: list[str], packages: list[dict[str, Any]]
) -> None:
    token = sm.list_model_packages(ModelPackageGroupName=groups[0], MaxResults=2)["NextToken"]
    with pytest.raises(ClientError, match="not valid for this request"):
        sm.list_model_packages(ModelPackageGroupName=groups[1], MaxResults=2, NextToken=token)
    with pytest.raises(ClientError, match="not valid for this request"):
        sm.list_model_packages(
            ModelPackageGroupName=groups[0], SortOrder="Descending", NextToken=token
        )
    with pytest.raises(ClientError, match="NextToken is not valid"):
        sm.list_model_packages(ModelPackageGroupName=groups[0], NextToken="not-a-token")
    # MaxResults may change between pages
    rest = sm.list_model_packages(ModelPackageGroupName=groups[0], MaxResults=50, NextToken=token)
    assert len(rest["ModelPackageSummaryList"]) == 10


def test_a_missing_group_lists_nothing(sm: Any) -> None:
    assert (
        sm.list_model_packages(ModelPackageGroupName="never-made")["ModelPackageSummaryList"] == []
    )


# --- ListModelPackageGroups -----------------------------------------------------------------


@pytest.mark.parametrize("order", ["Ascending", "Descending"])
@pytest.mark.parametrize("sort_by", ["Name", "CreationTime"])
def test_groups_sort_and_page(
    sm: Any, tag: str, groups: list[str], sort_by: str, order: str
) -> None:
    listed = collect(
        sm.list_model_package_groups,
        "ModelPackageGroupSummaryList",
        NameContains=tag,
        SortBy=sort_by,
        SortOrder=order,
        MaxResults=1,
    )
    expected = sorted(groups) if sort_by == "Name" else list(groups)
    assert arns_of(listed, "ModelPackageGroupName") == (
        expected if order == "Ascending" else expected[::-1]
    )
    assert listed[0]["ModelPackageGroupStatus"] == "Completed"
    assert listed[0]["ModelPackageGroupArn"].endswith(
        f":model-package-group/{listed[0]['ModelPackageGroupName']}"
    )


def test_groups_filter_by_creation_time(cloud: RunningCloud, tag: str, groups: list[str]) -> None:
    times = [
        exact_creation_time(cloud, "DescribeModelPackageGroup", ModelPackageGroupName=g)
        for g in groups
    ]

    def names(**bounds: float) -> list[str]:
        reply = raw_call(cloud, "ListModelPackageGroups", {"NameContains": tag, **bounds})
        return arns_of(reply.body["ModelPackageGroupSummaryList"], "ModelPackageGroupName")

    timed = list(zip(groups, times, strict=True))
    assert names(CreationTimeAfter=times[0]) == [g for g, t in timed if t > times[0]]
    assert names(CreationTimeBefore=times[2]) == [g for g, t in timed if t < times[2]]
