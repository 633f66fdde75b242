"""Jobs and steps as CircleCI runs them: failures, when, background, timeouts, workspaces,
artifacts, environment levels and built-ins, masking — each through a real `mlci run`."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from tests.integration.pipeline.helpers import Project, jobs_of


@pytest.fixture
def project(tmp_path: Path) -> Project:
    project = Project(tmp_path / "repo", tmp_path / "cloud-home")
    project.repo.commit({"app/main.py": "print('hello')\n"}, "start")
    return project


def commit_config(project: Project, text: str) -> None:
    project.write_config(text)
    project.repo.commit({}, "config")


EXECUTOR = """
version: 2.1
executors:
  py:
    docker:
      - image: cimg/python:3.11
        environment:
          LEVEL: image
          IMAGE_ONLY: from-image
    environment:
      LEVEL: executor
"""


def test_a_failing_step_fails_its_job_and_every_job_requiring_it_is_not_run(
    project: Project,
) -> None:
    commit_config(
        project,
        EXECUTOR
        + """
jobs:
  build:
    executor: py
    steps:
      - run: echo building && exit 3
      - run: echo never
      - run:
          name: report failure
          command: echo "reporting the failure"
          when: on_fail
      - run:
          name: clean up
          command: echo "cleaning up"
          when: always
      - run:
          name: only on success
          command: echo "not reached"
          when: on_success
  lint:
    executor: py
    steps:
      - run: echo linted
  test:
    executor: py
    steps:
      - run: echo tested
  deploy:
    executor: py
    steps:
      - run: echo deployed
workflows:
  main:
    jobs:
      - build
      - lint
      - test:
          requires: [build]
      - deploy:
          requires: [test, lint]
""",
    )

    status = project.run_json(expect=1)

    assert status["status"] == "failed"
    assert jobs_of(status) == {
        "main/build": "failed",
        "main/lint": "success",
        "main/test": "not_run",
        "main/deploy": "not_run",
    }
    build = status["workflows"][0]["jobs"][0]
    assert build["message"] == "exited with code 3"
    steps = {step["name"]: step["status"] for step in build["steps"]}
    assert steps == {
        "echo building && exit 3": "failed",
        "report failure": "success",
        "clean up": "success",
    }
    test_job = status["workflows"][0]["jobs"][2]
    assert test_job["message"] == "requires build, which failed"
    log = project.mlci("logs", "1", "build").stdout
    assert "building" in log and "reporting the failure" in log and "cleaning up" in log
    assert "never" not in log and "not reached" not in log


def test_requires_with_failed_status_runs_after_a_failure(project: Project) -> None:
    commit_config(
        project,
        EXECUTOR
        + """
jobs:
  build:
    executor: py
    steps: [{run: exit 1}]
  notify:
    executor: py
    steps: [{run: echo notified}]
workflows:
  main:
    jobs:
      - build
      - notify:
          requires:
            - build: failed
""",
    )

    status = project.run_json(expect=1)

    assert jobs_of(status) == {"main/build": "failed", "main/notify": "success"}


def test_background_steps_run_alongside_and_are_stopped_when_the_job_ends(
    project: Project,
) -> None:
    commit_config(
        project,
        EXECUTOR
        + """
jobs:
  serve:
    executor: py
    steps:
      - run:
          name: server
          background: true
          command: |
            python3 -m http.server 0 --bind 127.0.0.1 > /dev/null 2>&1 &
            echo "server up" > "$TMPDIR/up"
            echo "background says hi"
            sleep 60
      - run:
          name: wait for the server
          command: |
            for i in $(seq 50); do [ -f "$TMPDIR/up" ] && break; sleep 0.1; done
            cat "$TMPDIR/up"
      - run:
          name: failing background
          background: true
          command: exit 4
      - run: sleep 0.3
workflows:
  main:
    jobs: [serve]
""",
    )

    status = project.run_json()

    job = status["workflows"][0]["jobs"][0]
    assert job["status"] == "success"  # a background failure does not fail the job
    steps = {step["name"]: step for step in job["steps"]}
    assert steps["server"]["background"] is True
    assert steps["server"]["message"] == "still running when the job ended: stopped"
    assert steps["failing background"]["status"] == "failed"
    assert steps["failing background"]["exit_code"] == 4
    log = project.mlci("logs", "1", "serve").stdout
    assert "[server] background says hi" in log
    assert "server up" in log
    assert job["duration"] < 20  # the 60 s background sleep did not hold the job


def test_no_output_timeout_stops_a_silent_step(project: Project) -> None:
    commit_config(
        project,
        EXECUTOR
        + """
jobs:
  hang:
    executor: py
    steps:
      - run:
          name: chatty then silent
          no_output_timeout: 0.5s
          command: |
            echo started
            sleep 30
      - run:
          name: keeps talking
          no_output_timeout: 1s
          command: for i in 1 2 3 4; do echo tick $i; sleep 0.4; done
          when: always
workflows:
  main:
    jobs: [hang]
""",
    )

    status = project.run_json(expect=1)

    job = status["workflows"][0]["jobs"][0]
    assert job["status"] == "failed"
    assert job["message"] == "Too long with no output (exceeded 0.5s)"
    first, second = job["steps"]
    assert first["status"] == "timedout"
    assert second["status"] == "success"
    assert job["duration"] < 15


def test_workspaces_flow_downstream_and_artifacts_are_stored(project: Project) -> None:
    commit_config(
        project,
        EXECUTOR
        + """
jobs:
  make:
    executor: py
    steps:
      - run: mkdir -p out/models && echo weights > out/models/m.bin && echo v1 > out/version
      - persist_to_workspace:
          root: out
          paths: [models, version]
  second:
    executor: py
    steps:
      - run: mkdir -p out && echo v2 > out/version
      - persist_to_workspace:
          root: out
          paths: [version]
  use:
    executor: py
    working_directory: ~/work
    steps:
      - attach_workspace:
          at: /tmp/ws
      - run: |
          cat /dev/null
          test "$(cat $TMPDIR/ws/models/m.bin)" = weights
          cat $TMPDIR/ws/version > report.txt
          mkdir -p reports && echo '<testsuite/>' > reports/junit.xml
      - store_artifacts:
          path: report.txt
          destination: summary/report.txt
      - store_test_results:
          path: reports
      - store_artifacts:
          path: missing-dir
workflows:
  main:
    jobs:
      - make
      - second:
          requires: [make]
      - use:
          requires: [second]
""",
    )

    status = project.run_json()

    assert set(jobs_of(status).values()) == {"success"}
    use = status["workflows"][0]["jobs"][2]
    artifacts = {(a["kind"], a["path"]) for a in use["artifacts"]}
    assert artifacts == {
        ("artifacts", "summary/report.txt"),
        ("test-results", "reports/junit.xml"),
    }
    stored = project.root / ".mlci/pipelines/1/artifacts" / str(use["build_num"])
    assert (stored / "summary/report.txt").read_text() == "v2\n"  # the later layer won
    assert "No files found at missing-dir" in project.mlci("logs", "1", "use").stdout


def test_environment_levels_builtins_and_masked_secrets(project: Project) -> None:
    project.mlci("env", "set", "LEVEL", "project")
    project.mlci("env", "set", "API_TOKEN", "s3cr3t-token-value")
    project.mlci("env", "set", "--context", "aws-prod", "LEVEL", "context")
    project.mlci("env", "set", "--context", "aws-prod", "DB_PASSWORD", "hunter2-is-long")
    commit_config(
        project,
        EXECUTOR
        + """
jobs:
  show:
    executor: py
    environment:
      LEVEL: job
      JOB_ONLY: from-job
    steps:
      - checkout
      - run:
          name: dump
          environment:
            STEP_ONLY: from-step
          command: |
            python3 -c "import json, os; print(json.dumps(dict(os.environ)))" > "$TMPDIR/env.json"
            cp "$TMPDIR/env.json" env.json
            echo "token is $API_TOKEN and password is $DB_PASSWORD"
            echo 'export SHARED_BY_BASH_ENV=yes' >> "$BASH_ENV"
      - run:
          name: second step sees BASH_ENV
          command: echo "shared=$SHARED_BY_BASH_ENV"
      - store_artifacts:
          path: env.json
  plain:
    executor: py
    steps:
      - run: echo "$LEVEL"
workflows:
  main:
    jobs:
      - show:
          context: aws-prod
      - plain
""",
    )

    status = project.run_json(UNRELATED_USER_VARIABLE="not for jobs")

    show = status["workflows"][0]["jobs"][0]
    stored = project.root / ".mlci/pipelines/1/artifacts" / str(show["build_num"]) / "env.json"
    env = json.loads(stored.read_text())
    assert env["LEVEL"] == "job"
    assert env["JOB_ONLY"] == "from-job"
    assert env["STEP_ONLY"] == "from-step"
    assert env["IMAGE_ONLY"] == "from-image"
    assert env["API_TOKEN"] == "s3cr3t-token-value"  # the job gets the real value
    assert env["CI"] == env["CIRCLECI"] == "true"
    assert env["CIRCLE_BRANCH"] == "main"
    assert env["CIRCLE_SHA1"] == status["revision"]
    assert env["CIRCLE_JOB"] == "show"
    assert env["CIRCLE_BUILD_NUM"] == str(show["build_num"])
    assert env["CIRCLE_WORKFLOW_ID"] == status["workflows"][0]["id"]
    assert env["CIRCLE_WORKFLOW_JOB_ID"] == show["id"]
    assert env["CIRCLE_PROJECT_REPONAME"] == "repo"
    assert Path(env["CIRCLE_WORKING_DIRECTORY"]).name == "project"
    assert Path(env["VIRTUAL_ENV"]).name == "venv"
    assert env["PATH"].startswith(env["VIRTUAL_ENV"])
    assert "UNRELATED_USER_VARIABLE" not in env  # a job starts clean
    log = project.mlci("logs", "1", "show").stdout
    assert "token is ******** and password is ********" in log
    assert "s3cr3t" not in log and "hunter2" not in log
    assert "shared=yes" in log
    plain_log = project.mlci("logs", "1", "plain").stdout
    assert "\nexecutor\n" in plain_log  # the executor's environment is above the project's


def test_env_files_are_private_and_list_shows_names_only(project: Project) -> None:
    project.mlci("env", "set", "API_TOKEN", "abcd-secret")
    result = project.mlci("env", "set", "--context", "ci", "PIPED")  # value from stdin
    listing = project.mlci("env", "list", "--json").stdout

    assert json.loads(listing) == {"project": ["API_TOKEN"], "contexts": {"ci": ["PIPED"]}}
    assert "abcd-secret" not in project.mlci("env", "list").stdout
    env_dir = project.root / ".mlci/env"
    for path in [env_dir / "project.json", env_dir / "contexts/ci.json"]:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(env_dir).st_mode) == 0o700
    assert "Set PIPED in context ci" in result.stdout


def test_shell_and_working_directory(project: Project) -> None:
    commit_config(
        project,
        EXECUTOR
        + """
jobs:
  shells:
    executor: py
    shell: /bin/sh -e
    steps:
      - run:
          name: python shell
          shell: python3
          command: |
            import os
            print("python says", os.getcwd().endswith("project/sub"))
          working_directory: sub
      - run:
          name: default pipefail
          shell: /bin/bash -eo pipefail
          command: false | true
      - run: echo unreachable
workflows:
  main:
    jobs: [shells]
""",
    )

    status = project.run_json(expect=1)

    steps = status["workflows"][0]["jobs"][0]["steps"]
    assert [(s["name"], s["status"]) for s in steps] == [
        ("python shell", "success"),
        ("default pipefail", "failed"),
    ]
    assert "python says True" in project.mlci("logs", "1", "shells").stdout


def test_jobs_behind_a_hold_show_as_blocked_until_approved(project: Project) -> None:
    commit_config(
        project,
        """
        version: 2.1
        jobs:
          build:
            docker: [{image: cimg/base:stable}]
            steps: [{run: "true"}]
          ship:
            docker: [{image: cimg/base:stable}]
            steps: [{run: "true"}]
        workflows:
          main:
            jobs:
              - build
              - hold: {type: approval, requires: [build]}
              - ship: {requires: [hold]}
        """,
    )
    project.mlci("run")
    assert jobs_of(project.status(1)) == {
        "main/build": "success",
        "main/hold": "on_hold",
        "main/ship": "blocked",
    }
    project.mlci("approve")
    assert jobs_of(project.status(1))["main/ship"] == "success"
