"""Controlling pipelines from outside: approve, cancel, rerun, signals, SIGKILL and resume,
and watching them: status, logs -f, plan."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from tests.integration.pipeline.helpers import (
    Project,
    article_project,
    job_status,
    jobs_of,
    wait_for,
)

SLOW_PIPELINE = """
version: 2.1
executors:
  py:
    docker: [{image: cimg/python:3.11}]
jobs:
  first:
    executor: py
    steps:
      - run: echo first > "$MARKER_DIR/first-$CIRCLE_BUILD_NUM"
  slow:
    executor: py
    steps:
      - run:
          name: slow step
          command: |
            if [ ! -e "$MARKER_DIR/slow-was-interrupted" ]; then
              echo $$ > "$MARKER_DIR/slow-pid"
              sleep 60 &
              echo $! > "$MARKER_DIR/sleep-pid"
              wait
            fi
            echo done > "$MARKER_DIR/slow-done"
  after:
    executor: py
    steps:
      - run: echo after > "$MARKER_DIR/after-$CIRCLE_BUILD_NUM"
workflows:
  main:
    jobs:
      - first
      - slow:
          requires: [first]
      - after:
          requires: [slow]
"""


@pytest.fixture
def slow(tmp_path: Path) -> Project:
    project = Project(tmp_path / "repo", tmp_path / "cloud-home")
    project.write_config(SLOW_PIPELINE)
    project.repo.commit({}, "slow pipeline")
    project.mlci("env", "set", "MARKER_DIR", str(project.markers))
    return project


def _alive(pid: int) -> bool:
    """Running (a zombie waiting to be reaped by init does not count)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def _ends(pid: int) -> bool:
    return bool(wait_for(lambda: not _alive(pid), timeout=5, what=f"process {pid} to end"))


def _wait_running(project: Project, runner: object) -> None:
    wait_for(lambda: (project.markers / "sleep-pid").exists(), what="the slow step")
    assert job_status(project, 1, "slow") == "running"


def test_sigkill_leaves_an_interrupted_pipeline_that_rerun_failed_resumes(slow: Project) -> None:
    runner = slow.spawn("run")
    _wait_running(slow, runner)
    sleeper = int((slow.markers / "sleep-pid").read_text())

    runner.kill()  # SIGKILL: no chance to clean up
    runner.communicate(timeout=10)

    status = slow.status(1)
    assert status["status"] == "interrupted"
    assert jobs_of(status) == {
        "main/first": "success",
        "main/slow": "interrupted",
        "main/after": "interrupted",
    }
    (slow.markers / "slow-was-interrupted").write_text("yes")

    resumed = slow.mlci("rerun", "1", "--failed", "--json")

    status = json.loads(resumed.stdout)
    assert status["status"] == "success"
    workflow = status["workflows"][0]
    assert workflow["attempt"] == 2
    first, again, after = workflow["jobs"]
    assert first["status"] == "success" and first["carried_from"] == 1  # not run again
    assert again["status"] == "success" and again["build_num"] > 3
    assert after["status"] == "success"
    assert [p.name for p in slow.markers.glob("first-*")] == ["first-1"]
    assert _ends(sleeper)  # what the killed runner left running was stopped
    assert "(from build 1)" in slow.mlci("status", "1").stdout


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_and_sigterm_stop_cleanly(slow: Project, sig: int, code: int) -> None:
    runner = slow.spawn("run")
    _wait_running(slow, runner)
    sleeper = int((slow.markers / "sleep-pid").read_text())

    started = time.monotonic()
    runner.send_signal(sig)
    out, err = runner.communicate(timeout=30)

    assert runner.returncode == code, out + err
    assert time.monotonic() - started < 10
    status = slow.status(1)
    assert status["status"] == "canceled"
    assert jobs_of(status) == {
        "main/first": "success",
        "main/slow": "canceled",
        "main/after": "canceled",
    }
    assert status["runner_pid"] is None
    assert _ends(sleeper)
    assert "state is saved" in err


def test_cancel_from_another_process_stops_a_running_pipeline(slow: Project) -> None:
    runner = slow.spawn("run")
    _wait_running(slow, runner)
    busy = slow.mlci("rerun", "1", check=False)
    assert busy.returncode == 1
    assert f"pipeline 1 is still being run by process {runner.pid}" in busy.stderr

    result = slow.mlci("cancel")

    assert "Asked process" in result.stdout
    runner.communicate(timeout=30)
    assert runner.returncode == 1
    assert slow.status(1)["status"] == "canceled"


def test_rerun_runs_every_job_again_as_a_new_attempt(slow: Project) -> None:
    (slow.markers / "slow-was-interrupted").write_text("skip the sleep")
    slow.mlci("run")

    status = json.loads(slow.mlci("rerun", "1", "--json").stdout)

    assert status["status"] == "success"
    assert status["workflows"][0]["attempt"] == 2
    assert all(job["carried_from"] is None for job in status["workflows"][0]["jobs"])
    assert sorted(p.name for p in slow.markers.glob("first-*")) == ["first-1", "first-4"]
    failed = slow.mlci("rerun", "1", "--failed", check=False)
    assert failed.returncode == 1
    assert "nothing to rerun from failed: no workflow of pipeline 1 failed" in failed.stderr


def test_logs_follow_prints_lines_as_they_come_until_the_job_ends(tmp_path: Path) -> None:
    project = Project(tmp_path / "repo", tmp_path / "home")
    project.write_config(
        """
        version: 2.1
        jobs:
          talk:
            docker: [{image: cimg/base:stable}]
            steps:
              - run: for i in 1 2 3 4 5; do echo "line $i"; sleep 0.3; done
        workflows:
          main:
            jobs: [talk]
        """
    )
    project.repo.commit({}, "talk")
    runner = project.spawn("run")
    wait_for(lambda: job_status(project, 1, "talk") == "running", what="the job to start")

    followed = project.mlci("logs", "1", "talk", "-f", timeout=30)

    assert [line for line in followed.stdout.splitlines() if line.startswith("line")] == [
        f"line {i}" for i in range(1, 6)
    ]
    assert "<== [1] success" in followed.stdout
    runner.communicate(timeout=30)
    as_json = json.loads(project.mlci("logs", "1", "talk", "--json").stdout)
    assert as_json["status"] == "success" and "line 5" in as_json["lines"]


def test_ambiguous_approve_lists_candidates_and_a_named_workflow_is_approved(
    tmp_path: Path,
) -> None:
    project = article_project(tmp_path)
    project.repo.branch("feature")
    project.repo.commit({"abalone_model/a": "1", "churn_model/c": "1"}, "both")
    project.mlci("run")

    ambiguous = project.mlci("approve", check=False)

    assert ambiguous.returncode == 1
    assert ambiguous.stderr.strip() == (
        "Error: more than one approval is waiting, say which:"
        " pipeline 1 workflow abalone-model (job request-deployment);"
        " pipeline 1 workflow churn-model (job request-deployment)"
    )
    project.mlci("approve", "churn-model")  # the workflow alone: in the newest pipeline
    status = project.status(1)
    assert jobs_of(status)["churn-model/request-deployment"] == "success"
    assert jobs_of(status)["abalone-model/request-deployment"] == "on_hold"
    project.mlci("approve")  # only one left: no need to say which
    assert project.status(1)["status"] == "success"
    nothing = project.mlci("approve", check=False)
    assert nothing.returncode == 1
    assert "nothing is on hold in any pipeline" in nothing.stderr


def test_cancel_a_pipeline_on_hold(tmp_path: Path) -> None:
    project = article_project(tmp_path)
    project.repo.branch("feature")
    project.repo.commit({"abalone_model/a": "1"}, "abalone")
    project.mlci("run")

    project.mlci("cancel", "1")

    status = project.status(1)
    assert status["status"] == "canceled"
    assert jobs_of(status)["abalone-model/request-deployment"] == "canceled"
    assert "nothing is on hold" in project.mlci("approve", check=False).stderr


def test_cancel_one_held_workflow_leaves_the_other_on_hold(tmp_path: Path) -> None:
    project = article_project(tmp_path)
    project.repo.branch("feature")
    project.repo.commit({"abalone_model/a": "1", "churn_model/c": "1"}, "both")
    project.mlci("run")

    result = project.mlci("cancel", "1", "abalone-model")

    assert "Rejected pipeline 1 workflow abalone-model" in result.stdout
    status = project.status(1)
    workflows = {w["name"]: w["status"] for w in status["workflows"]}
    assert workflows["abalone-model"] == "canceled"
    assert workflows["churn-model"] == "on_hold"
    jobs = jobs_of(status)
    assert jobs["abalone-model/request-deployment"] == "canceled"
    assert jobs["churn-model/request-deployment"] == "on_hold"
    again = project.mlci("cancel", "1", "abalone-model", check=False)
    assert again.returncode == 1 and "nothing is on hold in pipeline 1 workflow" in again.stderr
    left = project.mlci("approve", check=False)  # the one left
    assert "Approved pipeline 1 workflow churn-model" in left.stdout
    assert left.returncode == 1  # the pipeline as a whole did not succeed: a workflow was canceled
    assert jobs_of(project.status(1))["churn-model/request-deployment"] == "success"


def test_a_held_workflow_canceled_while_the_runner_is_busy_ends_there(tmp_path: Path) -> None:
    project = Project(tmp_path / "repo", tmp_path / "home")
    project.write_config(GATED_AND_BUSY)
    project.repo.commit({}, "gated")
    runner = project.spawn("run")
    wait_for(lambda: job_status(project, 1, "hold") == "on_hold", what="the hold")

    project.mlci("cancel", "1", "gated")

    runner.communicate(timeout=30)
    jobs = jobs_of(project.status(1))
    assert jobs["gated/hold"] == "canceled" and jobs["other/busy"] == "success"
    assert jobs["gated/release"] in ("not_run", "canceled")  # never ran


GATED_AND_BUSY = """
version: 2.1
executors:
  base:
    docker: [{image: cimg/base:stable}]
jobs:
  quick:
    executor: base
    steps: [{run: "true"}]
  busy:
    executor: base
    steps: [{run: sleep 4}]
  release:
    executor: base
    steps: [{run: echo released}]
workflows:
  gated:
    jobs:
      - quick
      - hold:
          type: approval
          requires: [quick]
      - release:
          requires: [hold]
  other:
    jobs: [busy]
"""


def test_an_approval_given_while_the_runner_is_busy_is_picked_up_by_it(tmp_path: Path) -> None:
    project = Project(tmp_path / "repo", tmp_path / "home")
    project.write_config(GATED_AND_BUSY)
    project.repo.commit({}, "gated")
    runner = project.spawn("run")
    wait_for(lambda: job_status(project, 1, "hold") == "on_hold", what="the hold")

    result = project.mlci("approve", "1", "gated")

    assert "it goes on" in result.stdout
    runner.communicate(timeout=30)
    assert runner.returncode == 0
    assert jobs_of(project.status(1)) == {
        "gated/quick": "success",
        "gated/hold": "success",
        "gated/release": "success",
        "other/busy": "success",
    }


def test_plan_json_says_what_would_run_and_why_without_running(tmp_path: Path) -> None:
    project = article_project(tmp_path)
    project.repo.branch("feature")
    project.repo.commit({"abalone_model/notes.txt": "x"}, "abalone")

    plan = json.loads(project.mlci("plan", "--json").stdout)

    assert plan["branch"] == "feature"
    assert plan["changes"]["files"] == ["abalone_model/notes.txt"]
    assert plan["changes"]["parameters"] == {"deploy-abalone": True}
    assert plan["changes"]["reason"] == "merge-base"
    assert plan["continuation"] == [".circleci/dynamic_config.yml"]
    workflows = {w["name"]: w for w in plan["workflows"]}
    assert workflows["churn-model"]["runs"] is False
    assert workflows["churn-model"]["skip_reason"] == "when: condition is false"
    jobs = {j["name"]: j for j in workflows["abalone-model"]["jobs"]}
    assert jobs["abalone-model-train"]["runs"] is True
    assert jobs["request-deployment"]["runs"] is True
    assert jobs["abalone-model-deploy"]["runs"] is False
    assert jobs["abalone-model-deploy"]["skip_reason"] == "filtered out on branch feature"
    text = project.mlci("plan").stdout
    assert "abalone-model-deploy: skipped: filtered out on branch feature" in text
    missing = project.mlci("status", check=False)
    assert "no pipeline has run in this repository yet" in missing.stderr
