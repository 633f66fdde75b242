"""The model registry as the dashboard shows it, read through a cache.

Listing a group of 1,000 versions takes ten ListModelPackages calls and describing each one
a call more (plus its metrics), far beyond a page's time budget. So `RegistryIndex` keeps the
listing per group and the details per package in memory. `mlci ui` fills it at start (every
group listed, then each group's newest page of details, then the rest) and refreshes it every
few seconds; a page relists the newest versions itself, has the details of its own rows read
ahead of the background's (waiting a bounded time), and an action re-reads what it changed.
Details are re-read when a version's approval status in the listing differs from the one they
were read with; metrics and lineage never change once a package is registered.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from concurrent.futures import wait
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mlci.ui.cloud_access import Clients
from mlci.ui.detail_reader import BACKGROUND, URGENT, DetailReader
from mlci.ui.metrics import Metrics, read_metrics

PAGE_SIZE = 100  # ListModelPackages' maximum
VERSIONS_PER_PAGE = 50  # the group page's rows: the start-up fill reads these first
DETAIL_WORKERS = 2  # see detail_reader: reads are CPU-bound in boto3, more threads only queue


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
    created: float
    description: str


@dataclass
class Group:
    name: str
    arn: str
    description: str
    created: float
    versions: dict[str, Version] = field(default_factory=dict)
    listed_at: float = 0.0  # when the whole group was last listed (0: never)
    # Held while the whole group is listed, so that a page wanting the first listing waits
    # for the one under way (the start-up fill's) instead of making the same calls again.
    listing: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

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
        created=epoch(described.get("CreationTime")),
        description=str(described.get("ModelPackageDescription") or ""),
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
        # One queue for every read: a page's rows go before the background's.
        self._reader: DetailReader[Detail | None] = DetailReader(
            self.read_detail, DETAIL_WORKERS, "ui-registry"
        )
        self.groups_listed_at = 0.0
        self.filled = threading.Event()  # set once a whole pass (the start-up fill) is done

    def close(self) -> None:
        self._reader.close()

    def reads_waiting(self) -> int:
        return self._reader.waiting()

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
        known = self._known_group(name)
        if not self.ensure_listed(known):
            self.refresh_versions(known, whole=False)
        return known

    def ensure_listed(self, group: Group) -> bool:
        """List the whole group unless that was done (or is under way: then wait for it).
        True if this call listed it."""
        if group.listed_at:
            return False
        with group.listing:
            if group.listed_at:
                return False
            self._list(group, whole=True)
            return True

    def _known_group(self, name: str) -> Group:
        with self._lock:
            known = self._groups.get(name)
        return known if known is not None else self._describe_group(name)

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
        if whole:
            with group.listing:
                self._list(group, whole=True)
        else:
            self._list(group, whole=False)

    def _list(self, group: Group, whole: bool) -> None:
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
        self, versions: Iterable[Version], wait_seconds: float | None = None
    ) -> dict[str, Detail]:
        """Details of `versions`: those known and current, and the others read now, ahead of
        the background's reads, waiting for them up to `wait_seconds` (None: until all are
        read). Whatever is not read by then is left out (and stays queued)."""
        wanted = {v.arn: v for v in versions}
        found = self._current(wanted.values())
        deadline = None if wait_seconds is None else time.monotonic() + wait_seconds
        todo = [arn for arn in wanted if arn not in found]
        retried: set[str] = set()
        while todo:
            futures = self._reader.submit(todo, URGENT)
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            done, _ = wait(futures.values(), timeout=timeout)
            todo = []
            for arn, future in futures.items():
                detail = future.result() if future in done else None
                if detail is None:
                    continue  # not read in time, or deleted since it was listed
                found[arn] = detail
                if detail.status != wanted[arn].status and arn not in retried:
                    # Joined a read that started before the status changed: once more.
                    retried.add(arn)
                    todo.append(arn)
            if deadline is not None and time.monotonic() >= deadline:
                break
        return found

    def unread(self, versions: Iterable[Version]) -> int:
        """How many of `versions` have no current details."""
        wanted = list(versions)
        return len(wanted) - len(self._current(wanted))

    def queue_details(self, versions: Iterable[Version]) -> None:
        """Have the background read the details of `versions` not known and current."""
        wanted = list(versions)
        current = self._current(wanted)
        stale = [v.arn for v in wanted if v.arn not in current]
        if stale:
            self._reader.submit(stale, BACKGROUND)

    def fill(self, versions: Iterable[Version]) -> None:
        """Read what is missing or stale of `versions` in the background, and wait for it."""
        wanted = list(versions)
        current = self._current(wanted)
        futures = self._reader.submit([v.arn for v in wanted if v.arn not in current], BACKGROUND)
        for future in futures.values():
            future.result()

    def _current(self, versions: Iterable[Version]) -> dict[str, Detail]:
        with self._lock:
            return {
                v.arn: self._details[v.arn]
                for v in versions
                if v.arn in self._details and self._details[v.arn].status == v.status
            }

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
        """One version, read now (the page about it must not show a stale status); the
        group's listing is not needed for it."""
        group = self._known_group(group_name)
        with self._lock:
            listed = next((v for v in group.versions.values() if v.number == number), None)
        arn = listed.arn if listed else _package_arn(group.arn, number)
        detail = self.read_detail(arn)
        if detail is None:
            raise NotFound(f"model package group {group_name!r} has no version {number}")
        version = Version(
            arn, group.name, number, detail.status, detail.created, detail.description
        )
        if listed != version:
            with self._lock:
                group.versions[arn] = version
        return group, version, detail

    def refresh_all(self) -> None:
        """The background pass: every group listed, then the details of whatever is stale,
        each group's newest page first (the page most likely asked for)."""
        groups = self.refresh_groups()
        for group in groups:
            self.refresh_versions(group, whole=True)
        ordered = [g.newest_first() for g in groups]
        first = [v for versions in ordered for v in versions[:VERSIONS_PER_PAGE]]
        rest = [v for versions in ordered for v in versions[VERSIONS_PER_PAGE:]]
        self.fill(first + rest)
        self.filled.set()


def _package_arn(group_arn: str, number: int) -> str:
    return group_arn.replace(":model-package-group/", ":model-package/", 1) + f"/{number}"
