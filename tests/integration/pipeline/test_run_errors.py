"""Bad input: one clear message (with file:line where the config is at fault), exit 1, and
nothing created in state."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.pipeline.helpers import Project, article_project, jobs_of, mlci_env

CONFIG = """\
version: 2.1
parameters:
  fast:
    type: boolean
    default: false
jobs:
  build:
    docker: [{image: cimg/base:stable}]
    steps:
      - run: echo built
workflows:
  main:
    jobs: [build]
"""


@pytest.fixture
def project(tmp_path: Path) -> Project:
    project = Project(tmp_path / "repo", tmp_path / "home")
    project.repo.commit({".circleci/config.yml": CONFIG}, "config")
    return project


def refused(project: Project, *args: str) -> str:
    """Run mlci, expect exit 1 and no state at all; the error output."""
    result = project.mlci(*args, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert not (project.root / ".mlci").exists(), "a refused run left state behind"
    return result.stderr.strip()


def test_outside_a_repository(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mlci", "run"],
        cwd=tmp_path,
        env=mlci_env(tmp_path / "home"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("Error: ")
    assert "is not in a git repository" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_repository_without_commits(tmp_path: Path) -> None:
    project = Project(tmp_path / "repo", tmp_path / "home")
    assert "has no commits yet; commit something to run a pipeline" in refused(project, "run")


def test_unknown_branch_and_detached_head(project: Project) -> None:
    assert "there is no local branch 'nope'" in refused(project, "run", "--branch", "nope")
    project.repo.git("checkout", "-q", "--detach")
    assert "HEAD is detached: pass --branch NAME" in refused(project, "run")


def test_working_tree_of_another_branch(project: Project) -> None:
    project.repo.git("branch", "other")
    message = refused(project, "run", "--working-tree", "--branch", "other")
    assert "cannot be combined with --branch other" in message


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--param", "fast"], "--param 'fast': write it as name=value"),
        (
            ["--param", "slow=true"],
            "pipeline parameter 'slow' is not declared in .circleci/config.yml (declared: fast)",
        ),
        (["--param", "fast=yes"], "parameters → fast: value 'yes'"),
    ],
)
def test_bad_parameters(project: Project, args: list[str], message: str) -> None:
    assert message in refused(project, "run", *args)


def test_config_problems_are_all_listed_with_file_line_and_column(project: Project) -> None:
    broken = CONFIG.replace("    steps:", "    stepz:").replace("jobs: [build]", "jobs: [biuld]")
    project.repo.commit({".circleci/config.yml": broken}, "broken")

    message = refused(project, "run")

    lines = message.splitlines()
    assert lines[0].startswith("Error: the config has")
    assert any("stepz" in line and ".circleci/config.yml:9:5" in line for line in lines)
    assert any(
        "unknown job 'biuld'" in line and ".circleci/config.yml:13" in line for line in lines
    )


def test_a_duration_the_runner_cannot_read_is_refused_before_running(project: Project) -> None:
    bad = CONFIG.replace(
        "      - run: echo built",
        "      - run:\n          command: echo built\n          no_output_timeout: ten minutes",
    )
    project.repo.commit({".circleci/config.yml": bad}, "bad timeout")

    message = refused(project, "run")

    assert "no_output_timeout: 'ten minutes' is not a duration" in message
    assert message.endswith(".circleci/config.yml:11:11")  # the run step


def test_a_config_that_is_not_committed(tmp_path: Path) -> None:
    project = Project(tmp_path / "repo", tmp_path / "home")
    project.repo.commit({"README": "x"}, "no config")
    (project.root / ".circleci").mkdir()
    (project.root / ".circleci/config.yml").write_text(CONFIG)

    message = refused(project, "run")

    assert "there is no .circleci/config.yml in commit" in message
    assert "(commit it, or run with --working-tree)" in message


def test_a_continuation_with_an_undeclared_parameter_fails_the_setup_job(tmp_path: Path) -> None:
    project = article_project(tmp_path)
    setup = (project.root / ".circleci/config.yml").read_text()
    project.repo.commit(
        {".circleci/config.yml": setup.replace("deploy-churn true", "deploy-kraken true")},
        "typo in the mapping",
    )
    project.repo.branch("feature")
    project.repo.commit({"churn_model/x": "1"}, "churn")

    result = project.mlci("run", "--json", check=False)

    assert result.returncode == 1
    status = json.loads(result.stdout)
    assert status["status"] == "failed"
    assert jobs_of(status) == {"select-models/path-filtering/filter": "failed"}
    log = project.mlci("logs", "1", "path-filtering/filter").stdout
    assert (
        "pipeline parameter 'deploy-kraken' is not declared in .circleci/dynamic_config.yml" in log
    )
    assert ".circleci/dynamic_config.yml:" in log


def test_a_missing_context_fails_the_job_that_needs_it(project: Project) -> None:
    with_context = CONFIG.replace("jobs: [build]", "jobs:\n      - build:\n          context: prod")
    project.repo.commit({".circleci/config.yml": with_context}, "context")

    status = project.run_json(expect=1)

    job = status["workflows"][0]["jobs"][0]
    assert job["status"] == "failed"
    assert job["message"] == (
        "context 'prod' does not exist; create it with `mlci env set --context prod NAME`"
    )


def test_unknown_pipelines_and_jobs(project: Project) -> None:
    project.mlci("run")
    for args in (["status", "9"], ["logs", "9", "build"], ["rerun", "9"], ["approve", "9"]):
        result = project.mlci(*args, check=False)
        assert result.returncode == 1
        assert result.stderr.strip() == "Error: there is no pipeline 9 (pipelines are 1..1)"
    result = project.mlci("logs", "1", "nope", check=False)
    assert result.stderr.strip() == "Error: pipeline 1 has no job 'nope'"
    assert project.mlci("cancel", check=False).stderr.strip() == (
        "Error: no pipeline is running or on hold"
    )


def test_env_names_and_files_are_checked(project: Project) -> None:
    bad = project.mlci("env", "set", "1BAD", "x", check=False)
    assert bad.returncode == 1
    assert "'1BAD' is not a valid environment variable name" in bad.stderr
    context = project.mlci("env", "set", "--context", "../up", "NAME", "x", check=False)
    assert "'../up' is not a valid context name" in context.stderr
    missing = project.mlci("env", "unset", "NOPE", check=False)
    assert missing.stderr.strip() == "Error: NOPE is not set in the project"
    (project.root / ".mlci/env").mkdir(parents=True)
    (project.root / ".mlci/env/project.json").write_text("[1, 2]")
    corrupt = project.mlci("env", "list", check=False)
    assert "must hold a JSON object of names to string values" in corrupt.stderr
