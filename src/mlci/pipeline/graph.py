"""The decisions a workflow's graph makes, as pure functions of its jobs' statuses.

A queued job starts once every job it requires has ended in a status its `requires` accepts
(`success` unless it says `failed`/`canceled`); if one ended otherwise, the job is not run,
and neither is anything after it. An approval whose requirements are met goes on hold. The
workflow's status follows from its jobs', as CircleCI shows it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from mlci.pipeline import model
from mlci.pipeline.state import (
    CANCELED,
    FAILED,
    INTERRUPTED,
    NOT_RUN,
    ON_HOLD,
    QUEUED,
    RUNNING,
    SUCCESS,
    TERMINAL,
)

Requirements = dict[str, list[tuple[str, tuple[str, ...]]]]

_ENDED_AS = {
    FAILED: "failed",
    CANCELED: "was canceled",
    NOT_RUN: "did not run",
    INTERRUPTED: "was interrupted",
    SUCCESS: "succeeded",
}


def requirements_of(workflow: model.Workflow) -> Requirements:
    """Each job's requirements as (job name, accepted statuses), matrix aliases expanded to
    their instances."""
    names = {job.name for job in workflow.jobs}
    result: Requirements = {}
    for job in workflow.jobs:
        entries: list[tuple[str, tuple[str, ...]]] = []
        for requirement in job.requires:
            if requirement.name in names:
                entries.append((requirement.name, requirement.statuses))
                continue
            instances = [j.name for j in workflow.jobs if j.job_name == requirement.name]
            entries.extend((name, requirement.statuses) for name in instances)
        result[job.name] = entries
    return result


def upstream_of(name: str, requirements: Requirements) -> list[str]:
    """Every job `name` requires, directly or not."""
    seen: list[str] = []
    stack = [dep for dep, _ in requirements.get(name, [])]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.append(current)
        stack.extend(dep for dep, _ in requirements.get(current, []))
    return seen


@dataclass
class Decision:
    start: list[str] = field(default_factory=list)
    hold: list[str] = field(default_factory=list)
    not_run: list[tuple[str, str]] = field(default_factory=list)  # (job, why)


def decide(
    order: Sequence[str],
    requirements: Requirements,
    statuses: Mapping[str, str],
    approvals: frozenset[str],
) -> Decision:
    """What to do next with the queued jobs (`order`: dependency order; `approvals`: the
    names of approval jobs)."""
    decision = Decision()
    current = dict(statuses)
    for name in order:
        if current.get(name) != QUEUED:
            continue
        waiting, blocker = False, None
        for dependency, accepted in requirements.get(name, []):
            status = current.get(dependency)
            if status is None:
                continue  # not part of this run (filtered out): never blocks
            if status not in TERMINAL:
                waiting = True
            elif status not in accepted:
                blocker = (dependency, status)
                break
        if blocker is not None:
            dependency, status = blocker
            why = f"requires {dependency}, which {_ENDED_AS.get(status, status)}"
            decision.not_run.append((name, why))
            current[name] = NOT_RUN
        elif not waiting:
            if name in approvals:
                decision.hold.append(name)
                current[name] = ON_HOLD
            else:
                decision.start.append(name)
                current[name] = RUNNING
    return decision


def workflow_status(statuses: Mapping[str, str]) -> str:
    values = set(statuses.values())
    if RUNNING in values:
        return RUNNING
    if ON_HOLD in values:
        return ON_HOLD
    if QUEUED in values:
        return RUNNING  # about to start (a pass of `decide` has not run yet)
    for status in (INTERRUPTED, FAILED, CANCELED):
        if status in values:
            return status
    if values and values <= {NOT_RUN}:
        return NOT_RUN
    return SUCCESS
