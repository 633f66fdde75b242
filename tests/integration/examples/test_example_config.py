"""The example's CircleCI configs load with mlci's own config loader and encode the article's
flow: path filtering on main, one workflow per changed model, train -> approval -> approve on
branches, deploy only on main, each job running scripts that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mlci.pipeline import model
from mlci.pipeline.config import Config, load_config
from mlci.pipeline.mapping import parse_mapping
from mlci.pipeline.values import PipelineValues

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "sagemaker-monorepo"
MODELS = {
    "abalone-model": ("abalone_model", "deploy-abalone"),
    "churn-model": ("churn_model", "deploy-churn"),
}


@pytest.fixture(scope="module")
def setup_config() -> Config:
    return load_config(EXAMPLE / ".circleci" / "config.yml")


@pytest.fixture(scope="module")
def continuation() -> Config:
    return load_config(EXAMPLE / ".circleci" / "dynamic_config.yml")


def filter_step(setup_config: Config) -> model.SetParameters:
    pipeline = setup_config.compile(PipelineValues(git_branch="feature"))
    (workflow,) = pipeline.running_workflows
    (job,) = workflow.selected_jobs
    assert job.job is not None and job.job_name == "path-filtering/filter"
    (step,) = [s for s in job.job.steps if isinstance(s, model.SetParameters)]
    return step


def test_setup_filters_paths_against_main(setup_config: Config) -> None:
    assert setup_config.setup is True
    assert setup_config.orbs["path-filtering"].name == "path-filtering"
    step = filter_step(setup_config)
    assert step.base_revision == "main"
    assert step.config_path == ".circleci/dynamic_config.yml"


@pytest.mark.parametrize(
    ("path", "parameters"),
    [
        ("abalone_model/train_register.py", {"deploy-abalone"}),
        ("churn_model/requirements.txt", {"deploy-churn"}),
        ("common/registry.py", {"deploy-abalone", "deploy-churn"}),
        ("README.md", set()),
        ("xabalone_model/a.py", set()),
    ],
)
def test_mapping_selects_the_models_a_change_touches(
    setup_config: Config, path: str, parameters: set[str]
) -> None:
    rules = parse_mapping(filter_step(setup_config).mapping)
    selected = {r.parameter for r in rules if r.pattern.first_match([path]) is not None}
    assert selected == parameters
    assert all(r.value is True for r in rules)


def test_mapping_parameters_are_declared_false_by_default(
    setup_config: Config, continuation: Config
) -> None:
    rules = parse_mapping(filter_step(setup_config).mapping)
    declared = continuation.parameters
    for rule in rules:
        assert rule.parameter is not None
        assert declared[rule.parameter].type == "boolean"
        assert declared[rule.parameter].default is False


def selected(continuation: Config, branch: str, **parameters: bool) -> dict[str, list[str]]:
    pipeline = continuation.compile(PipelineValues(git_branch=branch), parameters)
    return {w.name: [j.name for j in w.selected_jobs] for w in pipeline.running_workflows}


def test_nothing_runs_when_no_model_changed(continuation: Config) -> None:
    assert selected(continuation, "feature") == {}
    assert selected(continuation, "main") == {}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_branch_trains_and_waits_for_approval_main_deploys(continuation: Config, name: str) -> None:
    parameter = MODELS[name][1]
    assert selected(continuation, "feature", **{parameter: True}) == {
        name: [f"{name}-train", "request-deployment", f"{name}-approve"]
    }
    assert selected(continuation, "main", **{parameter: True}) == {name: [f"{name}-deploy"]}


def test_approval_gates_the_approve_job(continuation: Config) -> None:
    pipeline = continuation.compile(PipelineValues(git_branch="feature"), {"deploy-churn": True})
    workflow = pipeline.workflow("churn-model")
    assert workflow.job("request-deployment").is_approval
    assert [r.name for r in workflow.job("request-deployment").requires] == ["churn-model-train"]
    assert [r.name for r in workflow.job("churn-model-approve").requires] == ["request-deployment"]


def jobs_of(continuation: Config, name: str) -> dict[str, model.Job]:
    out = {}
    for branch in ("feature", "main"):
        pipeline = continuation.compile(PipelineValues(git_branch=branch), {MODELS[name][1]: True})
        for workflow_job in pipeline.workflow(name).selected_jobs:
            if workflow_job.job is not None:
                out[workflow_job.name] = workflow_job.job
    return out


@pytest.mark.parametrize("name", sorted(MODELS))
def test_jobs_run_the_model_folder_scripts(continuation: Config, name: str) -> None:
    folder = MODELS[name][0]
    scripts = {
        "train": ["gather_data", "train_register"],
        "approve": ["approve"],
        "deploy": ["deploy"],
    }
    for job_name, job in jobs_of(continuation, name).items():
        assert job.executor.image == "cimg/python:3.11"
        assert job.environment["MODEL_NAME"] == name
        assert job.environment["MODEL_DESC"]
        commands = [s.command for s in job.steps if isinstance(s, model.Run)]
        assert f"pip install -r {folder}/requirements.txt" in commands
        modules = [m for c in commands for m in re.findall(rf"python -m {folder}\.(\w+)", c)]
        assert modules == scripts[job_name.rsplit("-", 1)[1]]
        for module in modules:
            assert (EXAMPLE / folder / f"{module}.py").is_file()
        assert any(isinstance(s, model.Checkout) for s in job.steps)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_the_package_arn_travels_from_train_to_approve(continuation: Config, name: str) -> None:
    jobs = jobs_of(continuation, name)
    (persist,) = [s for s in jobs[f"{name}-train"].steps if isinstance(s, model.PersistToWorkspace)]
    assert (persist.root, persist.paths) == (".", (f".build/{name}",))
    attach = [s for s in jobs[f"{name}-approve"].steps if isinstance(s, model.AttachWorkspace)]
    assert [a.at for a in attach] == ["."]
    assert not any(isinstance(s, model.AttachWorkspace) for s in jobs[f"{name}-deploy"].steps)


@pytest.mark.parametrize("folder", ["abalone_model", "churn_model"])
def test_each_model_folder_has_its_scripts(folder: str) -> None:
    for script in ("gather_data.py", "train_register.py", "approve.py", "deploy.py"):
        assert (EXAMPLE / folder / script).is_file()
    requirements = (EXAMPLE / folder / "requirements.txt").read_text().split()
    assert sorted(r.split(">")[0] for r in requirements) == ["boto3", "pandas", "sagemaker"]
    assert "sagemaker>=2.200,<3" in requirements
