"""The article's two configs behave as on CircleCI, in a real repository with real branches.

Feature branch + abalone change: only the abalone workflow's train job, then on hold.
Approve: nothing else runs on that branch. Merged to main: only the abalone deploy job.
Both folders changed: both workflows, in parallel. Anything else changed: no workflow.
"""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest

from tests.integration.pipeline.helpers import ARTICLE, Project, article_project, jobs_of


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return article_project(tmp_path)


def test_feature_branch_trains_abalone_then_holds_and_approval_runs_nothing_else(
    project: Project,
) -> None:
    project.repo.branch("feature/abalone-depth")
    project.repo.commit({"abalone_model/notes.txt": "deeper trees\n"}, "tune abalone")

    result = project.mlci("run")

    assert "On hold; approve with: mlci approve 1 abalone-model" in result.stdout
    status = project.status(1)
    assert status["status"] == "on_hold"
    assert jobs_of(status) == {
        "select-models/path-filtering/filter": "success",
        "abalone-model/abalone-model-train": "success",
        "abalone-model/request-deployment": "on_hold",
    }
    assert status["parameters"] == {"deploy-abalone": True}
    assert project.marker_names() == ["abalone-model-train"]
    marker = project.marker("abalone-model-train")
    assert marker is not None
    assert marker["CIRCLE_BRANCH"] == "feature/abalone-depth"
    assert marker["MODEL_DESC"] == "abalone model description text"

    approved = project.mlci("approve", "--json")

    assert approved.returncode == 0
    status = project.status(1)
    assert status["status"] == "success"
    approval = status["workflows"][1]["jobs"][1]
    assert approval["name"] == "request-deployment"
    assert approval["status"] == "success"
    assert approval["approved_by"] == getpass.getuser()
    assert approval["approved_at"] >= approval["started_at"]
    assert project.marker_names() == ["abalone-model-train"]  # deploy is main-only


def test_after_merging_to_main_only_the_abalone_deploy_job_runs(project: Project) -> None:
    project.repo.branch("feature")
    project.repo.commit({"abalone_model/notes.txt": "deeper trees\n"}, "tune abalone")
    project.repo.checkout("main")
    project.repo.merge("feature")

    status = project.run_json()

    assert status["branch"] == "main"
    assert status["status"] == "success"
    assert jobs_of(status) == {
        "select-models/path-filtering/filter": "success",
        "abalone-model/abalone-model-deploy": "success",
    }
    assert project.marker_names() == ["abalone-model-deploy"]


def test_a_change_to_both_folders_runs_both_workflows_in_parallel(project: Project) -> None:
    project.mlci("env", "set", "MODEL_SECONDS", "1.5")
    project.repo.branch("feature")
    project.repo.commit(
        {"abalone_model/notes.txt": "a\n", "churn_model/notes.txt": "c\n"}, "tune both"
    )

    status = project.run_json("--jobs", "2")

    assert status["status"] == "on_hold"
    assert jobs_of(status) == {
        "select-models/path-filtering/filter": "success",
        "abalone-model/abalone-model-train": "success",
        "abalone-model/request-deployment": "on_hold",
        "churn-model/churn-model-train": "success",
        "churn-model/request-deployment": "on_hold",
    }
    abalone, churn = project.marker("abalone-model-train"), project.marker("churn-model-train")
    assert abalone is not None and churn is not None
    # Each trained for 1.5 s; they overlapped in time.
    assert abalone["started"] < churn["ended"] and churn["started"] < abalone["ended"]


def test_a_change_elsewhere_runs_no_workflow(project: Project) -> None:
    project.repo.branch("docs")
    project.repo.commit({"README.md": "models, documented\n"}, "docs")

    result = project.mlci("run")

    assert "No workflow ran" in result.stdout
    status = project.status(1)
    assert status["status"] == "success"
    assert jobs_of(status) == {"select-models/path-filtering/filter": "success"}
    assert status["parameters"] == {}
    assert project.marker_names() == []
    setup_log = project.mlci("logs", "1", "path-filtering/filter").stdout
    assert "(read from the commit: only native steps follow)" in setup_log
    assert "No change detected in the paths defined in the mapping" in setup_log


@pytest.mark.slow
def test_the_fixture_configs_verbatim_with_pip_install(tmp_path: Path) -> None:
    """The article's configs exactly as written (commands, `pip install -r`, scripts)."""
    project = Project(tmp_path / "repo", tmp_path / "cloud-home")
    script = (
        "import os, pathlib\n"
        "pathlib.Path(os.environ['MARKER_DIR'], os.environ['MODEL_NAME'] + '-{}.json')"
        ".write_text('{{}}')\n"
    )
    project.repo.commit(
        {
            ".circleci/config.yml": (ARTICLE / "config.yml").read_text(),
            ".circleci/dynamic_config.yml": (ARTICLE / "dynamic_config.yml").read_text(),
            "abalone_model/requirements.txt": "# nothing to install\n",
            "abalone_model/train_register.py": script.format("train"),
            "abalone_model/deploy.py": script.format("deploy"),
        },
        "the article, verbatim",
    )
    project.mlci("env", "set", "MARKER_DIR", str(project.markers))
    project.repo.branch("feature")
    project.repo.commit({"abalone_model/notes.txt": "x\n"}, "tune")

    assert project.run_json()["status"] == "on_hold"
    project.mlci("approve")
    project.repo.checkout("main")
    project.repo.merge("feature")
    on_main = project.run_json()

    assert jobs_of(on_main) == {
        "select-models/path-filtering/filter": "success",
        "abalone-model/abalone-model-deploy": "success",
    }
    assert project.marker_names() == ["abalone-model-deploy", "abalone-model-train"]
    log = project.mlci("logs", "2", "abalone-model-deploy").stdout
    assert "pip install -r abalone_model/requirements.txt" in log
