"""Scheduling decisions from job statuses: start, hold, not run; workflow statuses."""

from __future__ import annotations

import textwrap

import pytest

from mlci.pipeline import graph
from mlci.pipeline.config import load_config_text

WORKFLOW = """
version: 2.1
jobs:
  j:
    docker: [{image: x}]
    steps: [{run: "true"}]
  m:
    parameters:
      v: {type: string}
    docker: [{image: x}]
    steps: [{run: "true"}]
workflows:
  w:
    jobs:
      - j: {name: build}
      - j: {name: lint}
      - j:
          name: test
          requires: [build]
      - hold:
          type: approval
          requires: [test, lint]
      - j:
          name: deploy
          requires: [hold]
      - j:
          name: notify
          requires:
            - build: [failed, canceled]
      - m:
          matrix:
            parameters:
              v: [a, b]
      - j:
          name: after-matrix
          requires: [m]
"""


@pytest.fixture(scope="module")
def workflow():  # type: ignore[no-untyped-def]
    return load_config_text(textwrap.dedent(WORKFLOW), "c.yml").compile().workflows[0]


def decide(workflow, statuses):  # type: ignore[no-untyped-def]
    requirements = graph.requirements_of(workflow)
    order = [job.name for job in workflow.jobs]
    return graph.decide(order, requirements, statuses, frozenset({"hold"}))


def test_a_matrix_alias_stands_for_its_instances(workflow) -> None:  # type: ignore[no-untyped-def]
    requirements = graph.requirements_of(workflow)
    assert requirements["after-matrix"] == [("m-a", ("success",)), ("m-b", ("success",))]
    assert graph.upstream_of("deploy", requirements) == ["hold", "lint", "test", "build"]


def test_jobs_without_requirements_start_and_the_rest_wait(workflow) -> None:  # type: ignore[no-untyped-def]
    statuses = {job.name: "queued" for job in workflow.jobs}

    decision = decide(workflow, statuses)

    assert decision.start == ["build", "lint", "m-a", "m-b"]
    assert decision.hold == [] and decision.not_run == []


def test_an_approval_holds_once_its_requirements_succeeded(workflow) -> None:  # type: ignore[no-untyped-def]
    statuses = {job.name: "queued" for job in workflow.jobs}
    statuses.update({"build": "success", "lint": "success", "test": "success"})
    statuses.update({"m-a": "running", "m-b": "running"})

    decision = decide(workflow, statuses)

    assert decision.hold == ["hold"]
    assert decision.start == []
    assert ("notify", "requires build, which succeeded") in decision.not_run


def test_a_failure_takes_its_dependents_with_it_but_not_failed_requirers(workflow) -> None:  # type: ignore[no-untyped-def]
    statuses = {job.name: "queued" for job in workflow.jobs}
    statuses.update({"build": "failed", "lint": "success", "m-a": "success", "m-b": "failed"})

    decision = decide(workflow, statuses)

    assert decision.start == ["notify"]
    assert decision.not_run == [
        ("test", "requires build, which failed"),
        ("hold", "requires test, which did not run"),
        ("deploy", "requires hold, which did not run"),
        ("after-matrix", "requires m-b, which failed"),
    ]


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ({"a": "running", "b": "on_hold"}, "running"),
        ({"a": "success", "b": "on_hold", "c": "queued"}, "on_hold"),
        ({"a": "failed", "b": "on_hold"}, "on_hold"),
        ({"a": "failed", "b": "not_run"}, "failed"),
        ({"a": "canceled", "b": "success"}, "canceled"),
        ({"a": "interrupted", "b": "failed"}, "interrupted"),
        ({"a": "not_run"}, "not_run"),
        ({"a": "success", "b": "success"}, "success"),
        ({"a": "queued"}, "running"),
    ],
)
def test_workflow_status(statuses: dict[str, str], expected: str) -> None:
    assert graph.workflow_status(statuses) == expected
