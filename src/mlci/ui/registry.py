"""The model registry as the dashboard shows it, read through a cache.

Listing a group of 1,000 versions takes ten ListModelPackages calls and describing each one
a call more (plus its training job), far beyond a page's time budget. So `RegistryIndex`
keeps the listing per group and the details per package in memory: a background thread
refreshes both every few seconds, a page refreshes what it shows first (the newest versions,
the visible rows), and an action refreshes what it changed. Details are re-read when a
version's approval status in the listing differs from the one they were read with; metrics and
lineage never change once a package is registered.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mlci.ui.cloud_access import Clients
from mlci.ui.metrics import Metrics, read_metrics

PAGE_SIZE = 100  # ListModelPackages' maximum
DETAIL_WORKERS = 8


class NotFound(Exception):
    """A group or version the registry does not have."""


@dataclass(frozen=True)
class Version:
    arn: str
    group: str
    number: int
    status: str
    created: float
    description: str


@dataclass(frozen=True)
class Detail:
    arn: str
    status: str  # the approval status these details were read with
    commit: str
    tree: str
    training_job: str
    metrics: Metrics
    approval_description: str
    modified: float | None
    modified_by: str
    metadata: dict[str, str]
    model_data: str
    image: str


@dataclass
class Group:
    name: str
    arn: str
    description: str
    created: float
    versions: dict[str, Version] = field(default_factory=dict)
    listed_at: float = 0.0  # when the whole group was last listed (0: never)

    def newest_first(self) -> list[Version]:
        return sorted(self.versions.values(), key=lambda v: v.number, reverse=True)


def epoch(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value or 0.0)


def _version(summary: dict[str, Any], group: str) -> Version:
    return Version(
        arn=summary["ModelPackageArn"],
        group=group,
        number=int(summary.get("ModelPackageVersion") or 0),
        status=str(summary.get("ModelApprovalStatus") or ""),
        created=epoch(summary.get("CreationTime")),
        description=str(summary.get("ModelPackageDescription") or ""),
    )


def detail_of(described: dict[str, Any], metrics: Metrics) -> Detail:
    metadata = {
        str(k): str(v) for k, v in (described.get("CustomerMetadataProperties") or {}).items()
    }
    containers = (described.get("InferenceSpecification") or {}).get("Containers") or [{}]
    modified_by = (described.get("LastModifiedBy") or {}).get("IamIdentity", {}).get("Arn", "")
    commit = metadata.get("git_commit") or (described.get("MetadataProperties") or {}).get(
        "CommitId", ""
    )
    return Detail(
        arn=described["ModelPackageArn"],
        status=str(described.get("ModelApprovalStatus") or ""),
        commit=str(commit),
        tree=metadata.get("git_tree", ""),
        training_job=metadata.get("training_job", ""),
        metrics=metrics,
        approval_description=str(described.get("ApprovalDescription") or ""),
        modified=epoch(described["LastModifiedTime"])
        if described.get("LastModifiedTime")
        else None,
        modified_by=str(modified_by),
        metadata=metadata,
        model_data=str(containers[0].get("ModelDataUrl", "")),
        image=str(containers[0].get("Image", "")),
    )


def _missing(error: Exception) -> bool:
    from botocore.exceptions import ClientError

    return isinstance(error, ClientError) and error.response["Error"]["Code"] in (
        "ValidationException",
        "ResourceNotFound",
    )


class RegistryIndex:
    def __init__(self, clients: Clients) -> None:
        self.clients = clients
        self._groups: dict[str, Group] = {}
        self._details: dict[str, Detail] = {}
        self._lock = threading.Lock()
        # Reads a page waits for never queue behind the background fill of every version.
        self._pool = ThreadPoolExecutor(DETAIL_WORKERS, thread_name_prefix="ui-registry")
        self._foreground = ThreadPoolExecutor(DETAIL_WORKERS, thread_name_prefix="ui-page")
        self.groups_listed_at = 0.0

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._foreground.shutdown(wait=False, cancel_futures=True)

    # --- groups ---------------------------------------------------------------------------

    def refresh_groups(self) -> list[Group]:
        sm = self.clients.sagemaker()
        seen: dict[str, dict[str, Any]] = {}
        for page in sm.get_paginator("list_model_package_groups").paginate(
            SortBy="Name", SortOrder="Ascending", PaginationConfig={"PageSize": 100}
        ):
            for summary in page["ModelPackageGroupSummaryList"]:
                seen[summary["ModelPackageGroupName"]] = summary
        with self._lock:
            for gone in set(self._groups) - set(seen):
                del self._groups[gone]
            for name, summary in seen.items():
                if name not in self._groups:
                    self._groups[name] = Group(
                        name,
                        summary["ModelPackageGroupArn"],
                        str(summary.get("ModelPackageGroupDescription") or ""),
                        epoch(summary.get("CreationTime")),
                    )
            self.groups_listed_at = time.time()
            return sorted(self._groups.values(), key=lambda g: g.name)

    def group(self, name: str) -> Group:
        """The group, listed at least once (its newest page listed now)."""
        with self._lock:
            known = self._groups.get(name)
        if known is None:
            known = self._describe_group(name)
        self.refresh_versions(known, whole=known.listed_at == 0.0)
        return known

    def _describe_group(self, name: str) -> Group:
        try:
            described = self.clients.sagemaker().describe_model_package_group(
                ModelPackageGroupName=name
            )
        except Exception as error:
            if _missing(error):
                raise NotFound(f"there is no model package group {name!r}") from None
            raise
        group = Group(
            described["ModelPackageGroupName"],
            described["ModelPackageGroupArn"],
            str(described.get("ModelPackageGroupDescription") or ""),
            epoch(described.get("CreationTime")),
        )
        with self._lock:
            return self._groups.setdefault(group.name, group)

    def refresh_versions(self, group: Group, whole: bool) -> None:
        """List the group's versions: all of them, or only the newest page (merged in)."""
        sm = self.clients.sagemaker()
        found: dict[str, Version] = {}
        token = None
        while True:
            extra: dict[str, str] = {"NextToken": token} if token else {}
            page = sm.list_model_packages(
                ModelPackageGroupName=group.name,
                SortBy="CreationTime",
                SortOrder="Descending",
                MaxResults=PAGE_SIZE,
                **extra,
            )
            for summary in page["ModelPackageSummaryList"]:
                version = _version(summary, group.name)
                found[version.arn] = version
            token = page.get("NextToken")
            if not token or not whole:
                break
        with self._lock:
            if whole:
                group.versions = found
                group.listed_at = time.time()
            else:
                group.versions = {**group.versions, **found}

    # --- details --------------------------------------------------------------------------

    def details(
        self, versions: Iterable[Version], wait: bool = True, background: bool | None = None
    ) -> dict[str, Detail]:
        """Details of `versions` that are known and current; missing or stale ones are read
        (in parallel), and waited for unless `wait` is False."""
        wanted = list(versions)
        with self._lock:
            current = {
                v.arn: self._details[v.arn]
                for v in wanted
                if v.arn in self._details and self._details[v.arn].status == v.status
            }
        stale = [v.arn for v in wanted if v.arn not in current]
        if stale:
            in_background = not wait if background is None else background
            pool = self._pool if in_background else self._foreground
            futures = [pool.submit(self.read_detail, arn) for arn in stale]
            if wait:
                for future in futures:
                    detail = future.result()
                    if detail is not None:
                        current[detail.arn] = detail
        return current

    def cached_details(self, arns: Iterable[str]) -> dict[str, Detail]:
        with self._lock:
            return {arn: self._details[arn] for arn in arns if arn in self._details}

    def read_detail(self, arn: str) -> Detail | None:
        """Describe one package now (and its metrics, unless already known)."""
        try:
            described = self.clients.sagemaker().describe_model_package(ModelPackageName=arn)
        except Exception as error:
            if _missing(error):
                return None
            raise
        with self._lock:
            known = self._details.get(arn)
        metrics = known.metrics if known is not None else None
        if metrics is None:
            metrics = read_metrics(self.clients.sagemaker(), self.clients.s3(), described)
        detail = detail_of(described, metrics)
        with self._lock:
            self._details[arn] = detail
        return detail

    def package(self, group_name: str, number: int) -> tuple[Group, Version, Detail]:
        """One version, read now (the page about it must not show a stale status)."""
        group = self.group(group_name)
        version = next((v for v in group.versions.values() if v.number == number), None)
        arn = version.arn if version else _package_arn(group.arn, number)
        detail = self.read_detail(arn)
        if detail is None:
            raise NotFound(f"model package group {group_name!r} has no version {number}")
        if version is None or version.status != detail.status:
            version = Version(
                arn,
                group.name,
                number,
                detail.status,
                version.created if version else 0.0,
                version.description if version else "",
            )
            with self._lock:
                group.versions[arn] = version
        return group, version, detail

    def refresh_all(self) -> None:
        """The background pass: every group listed, details read for whatever is stale."""
        for group in self.refresh_groups():
            self.refresh_versions(group, whole=True)
            self.details(group.versions.values(), wait=True, background=True)


def _package_arn(group_arn: str, number: int) -> str:
    return group_arn.replace(":model-package-group/", ":model-package/", 1) + f"/{number}"
