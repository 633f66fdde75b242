"""Which revision a pipeline runs: committed state, the working tree, another branch; and
the config as it was when the pipeline was created, whatever happens to the files later."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.pipeline.helpers import Project, article_project, jobs_of

SHOW = """
version: 2.1
jobs:
  show:
    docker: [{image: cimg/base:stable}]
    steps:
      - checkout
      - run: |
          cat tracked.txt
          if [ -e untracked.txt ]; then cat untracked.txt; fi
          if [ -e ignored.txt ]; then echo "ignored file is here"; fi
          git log --format=%s -1
          git rev-parse --abbrev-ref HEAD
workflows:
  main:
    jobs: [show]
"""


@pytest.fixture
def project(tmp_path: Path) -> Project:
    project = Project(tmp_path / "repo", tmp_path / "home")
    project.repo.commit(
        {
            ".circleci/config.yml": SHOW,
            "tracked.txt": "committed content\n",
            ".gitignore": "ignored.txt\n",
        },
        "committed",
    )
    return project


def test_by_default_the_committed_state_runs(project: Project) -> None:
    (project.root / "tracked.txt").write_text("edited, not committed\n")
    (project.root / "untracked.txt").write_text("new file\n")

    status = project.run_json()

    log = project.mlci("logs", "1", "show").stdout
    assert "committed content" in log
    assert "new file" not in log
    assert status["working_tree"] is False
    assert status["revision"] == project.repo.head()


def test_working_tree_includes_uncommitted_and_untracked_files_without_touching_the_index(
    project: Project,
) -> None:
    (project.root / "tracked.txt").write_text("edited, not committed\n")
    (project.root / "untracked.txt").write_text("new file\n")
    (project.root / "ignored.txt").write_text("secret scratch\n")
    project.repo.git("add", "tracked.txt")  # staged, so the index differs from HEAD
    staged_before = project.repo.git("diff", "--cached", "--name-only")
    status_before = project.repo.git("status", "--porcelain")

    status = project.run_json("--working-tree")

    log = project.mlci("logs", "1", "show").stdout
    assert "edited, not committed" in log
    assert "new file" in log
    assert "\nignored file is here\n" not in log
    assert "mlci: working tree on top of" in log
    assert "\nmain\n" in log  # the job's checkout is on the branch
    assert status["working_tree"] is True
    assert status["revision"] != project.repo.head()
    parent = project.repo.git("rev-parse", f"{status['revision']}^")
    assert parent == project.repo.head()
    assert project.repo.git("diff", "--cached", "--name-only") == staged_before
    assert project.repo.git("status", "--porcelain") == status_before  # .mlci/ is not in it


def test_working_tree_without_changes_runs_head_itself(project: Project) -> None:
    status = project.run_json("--working-tree")

    assert status["revision"] == project.repo.head()


def test_branch_runs_the_tip_of_another_branch(project: Project) -> None:
    project.repo.branch("feature")
    tip = project.repo.commit({"tracked.txt": "feature content\n"}, "on feature")
    project.repo.checkout("main")

    status = project.run_json("--branch", "feature")

    assert status["branch"] == "feature"
    assert status["revision"] == tip
    assert "feature content" in project.mlci("logs", "1", "show").stdout


def test_a_pipeline_keeps_its_config_for_approve_and_rerun(tmp_path: Path) -> None:
    project = article_project(tmp_path)
    project.repo.branch("feature")
    project.repo.commit({"abalone_model/x": "1"}, "abalone")
    project.mlci("run")
    # The config changes afterwards (even becomes invalid): pipeline 1 is not affected.
    project.repo.commit({".circleci/dynamic_config.yml": "version: 2.1\nnonsense: [\n"}, "break")

    project.mlci("approve")
    rerun = json.loads(project.mlci("rerun", "1", "--json").stdout)

    assert jobs_of(rerun)["abalone-model/abalone-model-train"] == "success"
    assert rerun["workflows"][1]["attempt"] == 2


def test_since_last_run_compares_main_with_the_last_successful_pipeline(tmp_path: Path) -> None:
    project = article_project(tmp_path)
    project.mlci("run")  # main, first pipeline: succeeds, so its revision is recorded
    project.repo.commit({"abalone_model/a": "1"}, "abalone on main")
    project.repo.commit({"README.md": "docs\n"}, "docs on main")

    parent_only = json.loads(project.mlci("plan", "--json").stdout)
    since_last = project.run_json("--since-last-run")

    assert parent_only["changes"]["parameters"] == {}  # HEAD~1 saw only the docs commit
    assert since_last["parameters"] == {"deploy-abalone": True}
    assert jobs_of(since_last)["abalone-model/abalone-model-deploy"] == "success"
    plan = json.loads(project.mlci("plan", "--since-last-run", "--json").stdout)
    assert plan["changes"]["reason"] == "last-run"
    assert plan["changes"]["files"] == []  # nothing since the pipeline that just succeeded


def test_matrix_jobs_and_requires_of_their_alias(tmp_path: Path) -> None:
    project = Project(tmp_path / "repo", tmp_path / "home")
    project.write_config(
        """
        version: 2.1
        jobs:
          train:
            parameters:
              model: {type: string}
            docker: [{image: cimg/base:stable}]
            steps:
              - run: echo "training << parameters.model >>"
          report:
            docker: [{image: cimg/base:stable}]
            steps:
              - run: echo report
        workflows:
          models:
            jobs:
              - train:
                  matrix:
                    parameters:
                      model: [abalone, churn]
              - report:
                  requires: [train]
        """
    )
    project.repo.commit({}, "matrix")

    status = project.run_json()

    train_jobs = [j for j in status["workflows"][0]["jobs"] if j["name"].startswith("train")]
    report = status["workflows"][0]["jobs"][-1]
    assert sorted(j["name"] for j in train_jobs) == ["train-abalone", "train-churn"]
    assert report["name"] == "report" and report["status"] == "success"
    assert report["started_at"] >= max(j["stopped_at"] for j in train_jobs)
    assert "training churn" in project.mlci("logs", "1", "train-churn").stdout
