"""The config model: the article's configs, the supported subset, and every kind of bad input."""

from __future__ import annotations

import contextlib
import os
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlci.pipeline import model
from mlci.pipeline.config import load_config
from mlci.pipeline.errors import ConfigError
from mlci.pipeline.values import PipelineValues

from .configs import FILE, config, problems

ARTICLE = Path(__file__).resolve().parents[2] / "fixtures" / "article" / ".circleci"
FEATURE = PipelineValues(git_branch="feature/better-abalone", git_revision="a" * 40)
MAIN = PipelineValues(git_branch="main", git_revision="b" * 40)


def only_problem(text: str) -> str:
    found = problems(text)
    assert len(found) == 1, found
    return found[0]


def steps_of(pipeline: model.Pipeline, workflow: str, job: str) -> tuple[model.Step, ...]:
    built = pipeline.workflow(workflow).job(job).job
    assert built is not None
    return built.steps


# --- the article's two configs -------------------------------------------------------------


def test_setup_config_runs_the_path_filtering_job_natively() -> None:
    setup = load_config(ARTICLE / "config.yml", ".circleci/config.yml")
    assert setup.setup is True
    assert setup.orbs["path-filtering"].full_name == "circleci/path-filtering"
    assert setup.orbs["path-filtering"].version == "0.1.1"
    pipeline = setup.compile(FEATURE)
    filter_job = pipeline.workflow("select-models").job("path-filtering/filter")
    assert filter_job.selected and filter_job.job is not None
    assert filter_job.job.executor.image == "cimg/python:3.8"
    kinds = [type(step).__name__ for step in filter_job.job.steps]
    assert kinds == ["Checkout", "SetParameters", "GenerateConfig", "ContinuePipeline"]
    set_parameters = filter_job.job.steps[1]
    assert isinstance(set_parameters, model.SetParameters)
    assert set_parameters.base_revision == "main"
    assert set_parameters.mapping.splitlines() == [
        "abalone_model/.* deploy-abalone true",
        "churn_model/.* deploy-churn true",
    ]
    assert set_parameters.config_path == ".circleci/dynamic_config.yml"
    continuation = filter_job.job.steps[3]
    assert isinstance(continuation, model.ContinuePipeline)
    assert continuation.parameters == set_parameters.output_path == "/tmp/pipeline-parameters.json"
    assert continuation.configuration_path == "/tmp/generated-config.yml"


def test_dynamic_config_on_a_branch_trains_and_waits_for_approval() -> None:
    dynamic = load_config(ARTICLE / "dynamic_config.yml", ".circleci/dynamic_config.yml")
    pipeline = dynamic.compile(FEATURE, {"deploy-abalone": True})
    assert pipeline.parameters == {"deploy-abalone": True, "deploy-churn": False}
    abalone = pipeline.workflow("abalone-model")
    assert abalone.runs
    assert [(j.name, j.selected) for j in abalone.jobs] == [
        ("abalone-model-train", True),
        ("request-deployment", True),
        ("abalone-model-deploy", False),
    ]
    approval = abalone.job("request-deployment")
    assert approval.is_approval and approval.job is None
    assert approval.requires == (model.Requirement("abalone-model-train"),)
    assert abalone.job("abalone-model-deploy").skip_reason == (
        "filtered out on branch feature/better-abalone"
    )
    train = abalone.job("abalone-model-train").job
    assert train is not None
    assert dict(train.environment) == {
        "MODEL_NAME": "abalone-model",
        "MODEL_DESC": "abalone model description text",
    }
    commands = [step.command for step in train.steps if isinstance(step, model.Run)]
    assert commands == [
        "pip install -r abalone_model/requirements.txt",
        "python abalone_model/train_register.py",
    ]
    churn = pipeline.workflow("churn-model")
    assert not churn.runs and churn.skip_reason == "when: condition is false"
    assert churn.selected_jobs == ()


def test_dynamic_config_on_main_only_deploys() -> None:
    dynamic = load_config(ARTICLE / "dynamic_config.yml", ".circleci/dynamic_config.yml")
    pipeline = dynamic.compile(MAIN, {"deploy-churn": True})
    churn = pipeline.workflow("churn-model")
    assert [j.name for j in churn.selected_jobs] == ["churn-model-deploy"]
    assert not pipeline.workflow("abalone-model").runs


def test_continuation_with_an_undeclared_parameter_is_an_error() -> None:
    dynamic = load_config(ARTICLE / "dynamic_config.yml", ".circleci/dynamic_config.yml")
    with pytest.raises(ConfigError) as caught:
        dynamic.compile(FEATURE, {"deploy-abalone": True, "deploy-penguin": True})
    assert str(caught.value) == (
        "parameters: pipeline parameter 'deploy-penguin' is not declared in"
        " .circleci/dynamic_config.yml (declared: deploy-abalone, deploy-churn);"
        " CircleCI refuses such a continuation too, .circleci/dynamic_config.yml:5:1"
    )
    with pytest.raises(ConfigError, match=r"value 'yes': must be a boolean, not string 'yes'"):
        dynamic.check_parameters({"deploy-churn": "yes"})
    assert dynamic.check_parameters({"deploy-churn": True})["deploy-churn"] is True


# --- the supported subset --------------------------------------------------------------------

BASE = """\
version: 2.1
executors:
  py:
    parameters:
      version: {type: string, default: "3.11"}
    docker:
      - image: cimg/python:<< parameters.version >>
        environment: {PIP_NO_CACHE: 1}
    working_directory: ~/repo
"""


def test_parameters_of_every_kind_commands_and_executors() -> None:
    text = BASE + textwrap.dedent(
        """\
        commands:
          greet:
            parameters:
              who: {type: string, default: world}
              loud: {type: boolean, default: false}
              times: {type: integer, default: 1}
              style: {type: enum, enum: [plain, fancy], default: plain}
              var: {type: env_var_name, default: GREETING}
              after: {type: steps, default: []}
            steps:
              - run:
                  name: greet << parameters.who >>
                  command: echo "$<< parameters.var >> << parameters.who >> x<< parameters.times >>"
                  environment:
                    << parameters.var >>: hello
              - when:
                  condition: << parameters.loud >>
                  steps:
                    - run: echo LOUD << parameters.style >>
              - unless:
                  condition: << parameters.loud >>
                  steps:
                    - run: echo quiet
              - << parameters.after >>
        jobs:
          build:
            parameters:
              exec: {type: executor, default: py}
            executor: << parameters.exec >>
            parallelism: 2
            steps:
              - checkout:
                  path: src
              - greet:
                  who: mlci
                  loud: true
                  times: 3
                  style: fancy
                  after:
                    - run: echo after one
                    - run: echo after two
              - greet
        workflows:
          main:
            jobs:
              - build:
                  exec:
                    name: py
                    version: "3.12"
        """
    )
    pipeline = config(text).compile(FEATURE)
    job = pipeline.workflow("main").job("build").job
    assert job is not None
    assert job.executor.image == "cimg/python:3.12"
    assert job.executor.name == "py"
    assert dict(job.executor.images[0].environment) == {"PIP_NO_CACHE": "1"}
    assert job.working_directory == "~/repo"
    assert job.parallelism == 2
    runs = [step for step in job.steps if isinstance(step, model.Run)]
    assert [run.command for run in runs] == [
        'echo "$GREETING mlci x3"',
        "echo LOUD fancy",
        "echo after one",
        "echo after two",
        'echo "$GREETING world x1"',
        "echo quiet",
    ]
    assert runs[0].name == "greet mlci" and dict(runs[0].environment) == {"GREETING": "hello"}
    assert isinstance(job.steps[0], model.Checkout) and job.steps[0].path == "src"
    assert job.steps[0].location.line == 42  # steps keep the line they were written on


def test_pipeline_values_and_parameters_substitute_everywhere() -> None:
    text = BASE + textwrap.dedent(
        """\
        parameters:
          env: {type: enum, enum: [dev, prod], default: dev}
          count: {type: integer, default: 2}
        jobs:
          report:
            executor: py
            steps:
              - run: echo << pipeline.git.branch >> << pipeline.number >>
                  << pipeline.parameters.env >>
              - run: echo literal \\<< not.a.reference >> and <<pipeline.parameters.count>>
              - run: echo tag=[<< pipeline.git.tag >>]
        workflows:
          main:
            jobs: [report]
        """
    )
    pipeline = config(text).compile(PipelineValues(number=7, git_branch="dev"), {"env": "prod"})
    commands = [s.command for s in steps_of(pipeline, "main", "report") if isinstance(s, model.Run)]
    assert commands == [
        "echo dev 7 prod",
        "echo literal << not.a.reference >> and 2",
        "echo tag=[]",
    ]


def test_workflow_conditions_as_logic_maps_and_expressions() -> None:
    text = BASE + textwrap.dedent(
        """\
        parameters:
          run-nightly: {type: boolean, default: false}
          target: {type: string, default: ""}
        jobs:
          noop:
            executor: py
            steps: [checkout]
        workflows:
          on-main:
            when: pipeline.git.branch == "main" or pipeline.git.branch starts-with "release/"
            jobs: [noop]
          logic:
            when:
              and:
                - not: << pipeline.parameters.run-nightly >>
                - equal: [main, << pipeline.git.branch >>]
                - matches: {pattern: "^ma.n$", value: << pipeline.git.branch >>}
                - or: [false, << pipeline.parameters.target >>, true]
            jobs: [noop]
          unless-target:
            unless: << pipeline.parameters.target >>
            jobs: [noop]
          empty-and:
            when:
              and: []
            jobs: [noop]
        """
    )
    loaded = config(text)
    on_main = loaded.compile(MAIN)
    assert [w.name for w in on_main.running_workflows] == ["on-main", "logic", "unless-target"]
    release = loaded.compile(PipelineValues(git_branch="release/2"), {"target": "prod"})
    assert [w.name for w in release.running_workflows] == ["on-main"]
    assert release.workflow("unless-target").skip_reason == "unless: condition is true"


def test_job_filters_branches_tags_regexes_and_expressions() -> None:
    text = BASE + textwrap.dedent(
        """\
        jobs:
          noop:
            executor: py
            steps: [checkout]
        workflows:
          release:
            jobs:
              - noop:
                  name: test
              - noop:
                  name: publish
                  requires: [test]
                  filters:
                    branches: {ignore: /.*/}
                    tags: {only: /^v\\d+\\.\\d+$/}
              - noop:
                  name: docs
                  filters: pipeline.git.branch == "main" or pipeline.git.branch starts-with "docs-"
              - noop:
                  name: after-docs
                  requires: [docs]
              - noop:
                  name: tagged-too
                  filters:
                    branches: {only: [main, /feature\\/.+/]}
                    tags: {only: /.*/}
        """
    )
    loaded = config(text)

    def selected(values: PipelineValues) -> list[str]:
        return [job.name for job in loaded.compile(values).workflow("release").selected_jobs]

    assert selected(MAIN) == ["test", "docs", "after-docs", "tagged-too"]
    assert selected(PipelineValues(git_branch="feature/x")) == ["test", "tagged-too"]
    assert selected(PipelineValues(git_branch="docs-fix")) == ["test", "docs", "after-docs"]
    tag = PipelineValues(git_tag="v1.2")
    assert selected(tag) == ["tagged-too"]  # publish requires test, which tags do not run
    reasons = {j.name: j.skip_reason for j in loaded.compile(tag).workflow("release").jobs}
    assert reasons["test"] == "tag pipelines run only jobs with a tags filter"
    assert reasons["publish"] == "requires test, which does not run"


def test_matrix_expansion_names_aliases_and_excludes() -> None:
    text = BASE + textwrap.dedent(
        """\
        jobs:
          train:
            parameters:
              model: {type: string}
              seed: {type: integer, default: 0}
            executor: py
            steps:
              - run: python << parameters.model >>/train.py --seed << parameters.seed >>
        workflows:
          models:
            jobs:
              - train:
                  matrix:
                    parameters:
                      model: [abalone, churn]
                      seed: [1, 2]
                    exclude:
                      - {model: churn, seed: 2}
              - train:
                  name: final-<< matrix.model >>
                  matrix:
                    alias: finals
                    parameters:
                      model: [abalone]
                  requires: [train]
              - request-approval:
                  type: approval
                  requires: [finals]
        """
    )
    workflow = config(text).compile(FEATURE).workflow("models")
    names = [job.name for job in workflow.jobs]
    assert names[:3] == ["train-abalone-1", "train-abalone-2", "train-churn-1"]
    assert names[3:] == ["final-abalone", "request-approval"]
    final = workflow.job("final-abalone")
    assert [r.name for r in final.requires] == ["train"]
    assert dict(final.matrix) == {"model": "abalone"}
    runs = [s.command for s in final.job.steps if isinstance(s, model.Run)] if final.job else []
    assert runs == ["python abalone/train.py --seed 0"]


def test_requires_statuses_contexts_and_pre_post_steps() -> None:
    text = BASE + textwrap.dedent(
        """\
        jobs:
          noop:
            executor: py
            steps:
              - run: echo body
        workflows:
          main:
            jobs:
              - noop:
                  name: first
                  context: [aws, slack]
              - noop:
                  name: cleanup
                  context: aws
                  requires:
                    - first: [success, failed]
                  pre-steps:
                    - run: echo before
                  post-steps:
                    - run: echo after
        """
    )
    workflow = config(text).compile(FEATURE).workflow("main")
    cleanup = workflow.job("cleanup")
    assert cleanup.requires == (model.Requirement("first", ("success", "failed")),)
    assert workflow.job("first").context == ("aws", "slack") and cleanup.context == ("aws",)
    assert cleanup.job is not None
    commands = [s.command for s in cleanup.job.steps if isinstance(s, model.Run)]
    assert commands == ["echo before", "echo body", "echo after"]


def test_orbs_under_any_alias_and_version() -> None:
    text = """\
    version: 2.1
    setup: true
    orbs:
      pf: circleci/path-filtering@2.0.1
      cont: circleci/continuation@1.0.0
    jobs:
      custom:
        docker: [{image: cimg/base:stable}]
        steps:
          - checkout
          - pf/set-parameters:
              mapping: src/.* build true
              exclude: docs/.*
          - cont/continue:
              configuration_path: .circleci/next.yml
    workflows:
      version: 2
      setup:
        jobs:
          - pf/filter:
              workspace_path: /tmp/ws
              tag: "3.12"
          - custom
          - cont/continue:
              name: just-continue
              configuration_path: .circleci/other.yml
              checkout: false
    """
    pipeline = config(text).compile(FEATURE)
    workflow = pipeline.workflow("setup")
    filter_job = workflow.job("pf/filter").job
    assert filter_job is not None and filter_job.executor.image == "cimg/python:3.12"
    assert [type(s).__name__ for s in filter_job.steps][:3] == [
        "Checkout",
        "AttachWorkspace",
        "SetParameters",
    ]
    custom = workflow.job("custom").job
    assert custom is not None
    set_parameters = custom.steps[1]
    assert isinstance(set_parameters, model.SetParameters)
    assert (set_parameters.mapping, set_parameters.exclude) == ("src/.* build true", "docs/.*")
    just_continue = workflow.job("just-continue").job
    assert just_continue is not None
    assert [type(s).__name__ for s in just_continue.steps] == ["ContinuePipeline"]


# --- bad input: each problem named with file:line:col -------------------------------------


def test_broken_yaml_names_the_line() -> None:
    found = only_problem("version: 2.1\njobs:\n  build:\n    steps: [checkout\n  other: 1\n")
    assert found.startswith("invalid YAML: while parsing a flow sequence")
    assert found.endswith(f"{FILE}:5:8")


def test_unknown_keys_are_errors_that_name_the_key_and_list_what_is_allowed() -> None:
    found = problems(
        """\
        version: 2.1
        jobz: {}
        jobs:
          build:
            docker: [{image: x, pull: always}]
            stepz: []
            steps:
              - run: {command: make, nmae: build}
              - save_cache: {key: x, paths: [.]}
        workflows:
          main:
            triggers: []
            jobs: [build]
        """
    )
    assert found == [
        "unknown key 'jobz' (allowed here: commands, executors, jobs, orbs, parameters, setup,"
        f" version, workflows), {FILE}:2:1",
        "jobs → build → docker[0]: unknown key 'pull' (allowed here: auth, aws_auth, command,"
        f" entrypoint, environment, image, name, user), {FILE}:5:25",
        "jobs → build: unknown key 'stepz' (allowed here: circleci_ip_ranges, description,"
        " docker, environment, executor, machine, parallelism, parameters, resource_class,"
        f" shell, steps, working_directory), {FILE}:6:5",
        "jobs → build → steps[0] → run: unknown key 'nmae' (allowed here: auto_rerun_delay,"
        " background, command, environment, max_auto_reruns, name, no_output_timeout, shell,"
        f" when, working_directory), {FILE}:8:30",
        "jobs → build → steps[1] → save_cache: the save_cache step is not supported (each job"
        f" starts from a clean checkout), {FILE}:9:9",
        "workflows → main → triggers: scheduled workflow triggers are not supported; run `mlci"
        f" run` from a scheduler, {FILE}:12:5",
    ]


def test_wrong_types() -> None:
    found = problems(
        """\
        version: 2.1
        setup: "yes"
        parameters:
          flag: {type: boolean, default: "false"}
        jobs:
          build:
            docker: [{image: cimg/base:stable}]
            parallelism: two
            parameters:
              version: {type: string, default: "3.11"}
            steps:
              - run: {command: make, background: sometimes, when: later}
        workflows:
          main:
            jobs:
              - build:
                  version: 3.12
        """
    )
    assert found == [
        f"setup: must be a boolean, not string 'yes', {FILE}:2:8",
        f"parameters → flag → default: must be a boolean, not string 'false', {FILE}:4:34",
        f"jobs → build → parallelism: must be an integer, not string 'two', {FILE}:8:18",
        "jobs → build → steps[0] → run → background: must be a boolean, not string"
        f" 'sometimes', {FILE}:12:42",
        "jobs → build → steps[0] → run → when: must be one of on_success, on_fail, always, not"
        f" 'later', {FILE}:12:59",
        # argument types are checked when the workflow instantiates the job, in the same run
        "workflows → main → jobs[0] → build → version: must be a string, not number 3.12"
        f' (quote it to make it a string: "…"), {FILE}:17:20',
    ]
    # argument types are checked when the workflow instantiates the job
    assert "version: must be a string, not number 3.12" in only_problem(
        """\
        version: 2.1
        jobs:
          build:
            docker: [{image: cimg/base:stable}]
            parameters:
              version: {type: string, default: "3.11"}
            steps: [checkout]
        workflows:
          main:
            jobs:
              - build:
                  version: 3.12
        """
    )


def test_undefined_jobs_commands_executors_and_parameters() -> None:
    found = problems(
        """\
        version: 2.1
        parameters:
          deploy: {type: boolean, default: false}
        commands:
          greet:
            parameters:
              who: {type: string, default: x}
            steps:
              - run: echo << parameters.whom >>
        jobs:
          build:
            executor: missing-executor
            steps:
              - greet: {who: me, loudly: true}
              - grete
              - run: echo << pipeline.parameters.deplyo >>
        workflows:
          main:
            jobs:
              - build
              - tset
        """
    )
    assert found == [
        "commands → greet → steps[0] → run: unknown reference << parameters.whom >>"
        f" (known: who), {FILE}:9:14",
        "jobs → build → executor: unknown executor 'missing-executor' (executors: none are"
        f" defined), {FILE}:12:15",
        "jobs → build → steps[0] → greet: command 'greet' has no parameter 'loudly'"
        f" (parameters: who), {FILE}:14:26",
        "jobs → build → steps[1] → grete: unknown step or command 'grete' (known: checkout,"
        " run, when, unless, persist_to_workspace, attach_workspace, store_artifacts,"
        f" store_test_results, greet), {FILE}:15:9",
        "jobs → build → steps[2] → run: unknown reference << pipeline.parameters.deplyo >>"
        f" (known: deploy), {FILE}:16:14",
        "workflows → main → jobs[1] → tset: unknown job 'tset' (jobs: build; or add type:"
        f" approval), {FILE}:21:9",
    ]


def test_unknown_parameter_references_name_the_declared_ones() -> None:
    found = only_problem(
        """\
        version: 2.1
        commands:
          greet:
            parameters:
              who: {type: string, default: x}
            steps:
              - run: echo << parameters.whom >>
        jobs:
          build:
            docker: [{image: cimg/base:stable}]
            steps: [greet]
        workflows:
          main:
            jobs: [build]
        """
    )
    assert found == (
        "commands → greet → steps[0] → run: unknown reference << parameters.whom >>"
        f" (known: who), {FILE}:7:14"
    )


def test_cyclic_and_dangling_requires() -> None:
    found = problems(
        """\
        version: 2.1
        jobs:
          noop:
            docker: [{image: cimg/base:stable}]
            steps: [checkout]
        workflows:
          main:
            jobs:
              - noop: {name: a, requires: [c]}
              - noop: {name: b, requires: [a, ghost]}
              - noop: {name: c, requires: [b]}
        """
    )
    assert found == [
        f"workflows → main → jobs: requires form a cycle: a → c → b → a, {FILE}:9:9",
        "workflows → main → jobs → b → requires: unknown job 'ghost' (jobs of this workflow:"
        f" a, b, c), {FILE}:10:39",
    ]


def test_invalid_regexes_and_expressions() -> None:
    found = problems(
        """\
        version: 2.1
        jobs:
          noop:
            docker: [{image: cimg/base:stable}]
            steps:
              - when:
                  condition:
                    matches: {pattern: "feature/(", value: x}
                  steps: [checkout]
        workflows:
          main:
            when: pipeline.git.branch = "main"
            jobs:
              - noop:
                  filters:
                    branches: {only: ["/release-[/"]}
              - noop:
                  name: other
                  filters: pipeline.git.branch == "main" and
        """
    )
    assert len(found) == 4
    assert found[0].startswith(
        "jobs → noop → steps[0] → when → condition → matches → pattern: invalid regex"
        " 'feature/(': missing ), unterminated subpattern"
    ) and found[0].endswith(f"{FILE}:8:32")
    assert found[1] == (
        "workflows → main → when: invalid expression: '=' must be written '==' at character 21"
        f" of expression 'pipeline.git.branch = \"main\"', {FILE}:12:11"
    )
    assert found[2].startswith(
        "workflows → main → jobs[0] → noop → filters → branches → only: invalid regex"
        " /release-[/: unterminated character set"
    ) and found[2].endswith(f"{FILE}:16:31")
    assert found[3] == (
        "workflows → main → jobs[1] → noop → filters: invalid expression: expected an"
        " expression, found 'the end' at character 34 of expression"
        f" 'pipeline.git.branch == \"main\" and', {FILE}:19:20"
    )


def test_versions_orbs_executors_and_parameter_declarations() -> None:
    found = problems(
        """\
        version: 2
        orbs:
          python: circleci/python@2.1.1
          inline: {jobs: {}}
        parameters:
          nodefault: {type: string}
          level: {type: enum, default: high}
          odd: {type: list}
        jobs:
          bare:
            steps: [checkout]
          both:
            docker: [{image: x}]
            machine: true
            steps: [checkout]
        """
    )
    assert found == [
        f"version: mlci runs CircleCI 2.1 configs, not version 2, {FILE}:1:10",
        "orbs → python: orb circleci/python is not implemented by mlci (implemented:"
        f" circleci/continuation, circleci/path-filtering), {FILE}:3:11",
        "orbs → inline: inline orbs are not supported; mlci runs orbs it implements natively,"
        f" {FILE}:4:11",
        f"parameters → nodefault: a pipeline parameter needs a default, {FILE}:6:3",
        "parameters → level → enum: an enum parameter needs 'enum': a list of strings,"
        f" {FILE}:7:10",
        "parameters → odd → type: unknown parameter type 'list' (allowed: string, boolean,"
        f" integer, enum), {FILE}:8:15",
        f"jobs → bare: a job needs an executor: one of executor, docker or machine, {FILE}:10:3",
        f"jobs → both: a job has one executor, not docker and machine, {FILE}:14:5",
    ]


def test_duplicate_workflow_job_names_and_command_cycles() -> None:
    found = problems(
        """\
        version: 2.1
        commands:
          ping:
            steps: [pong]
          pong:
            steps: [ping]
        jobs:
          noop:
            docker: [{image: cimg/base:stable}]
            steps: [ping]
        workflows:
          main:
            jobs: [noop, noop]
        """
    )
    assert found == [
        "commands → pong → steps[0] → ping: commands invoke each other in a cycle:"
        f" ping → pong → ping, {FILE}:6:13",
        "workflows → main: two jobs are named 'noop' (give one another name with name:),"
        f" {FILE}:13:18",
    ]


def test_approval_jobs_take_no_parameters_and_types_are_checked() -> None:
    found = problems(
        """\
        version: 2.1
        workflows:
          main:
            jobs:
              - hold: {type: approval, reason: why}
              - wait: {type: manual}
        """
    )
    assert found == [
        f"workflows → main → jobs[0] → hold: an approval job takes no parameters, not 'reason',"
        f" {FILE}:5:32",
        f"workflows → main → jobs[1] → wait → type: a job type is approval (or build), not"
        f" 'manual', {FILE}:6:22",
    ]


def test_a_config_that_is_not_a_map_or_misses_version() -> None:
    assert only_problem("- just\n- a list\n") == f"must be a map, not a list, {FILE}:1"
    assert only_problem("jobs: {}\n") == f"missing required key 'version', {FILE}:1:1"


def test_nothing_is_returned_when_anything_is_wrong(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text("version: 2.1\nworkflows:\n  main:\n    jobs: [missing]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown job 'missing'.*config\.yml:4:12"):
        load_config(path)


# --- robustness: damaged configs fail with ConfigError, never with a crash -----------------

SCALARS = st.sampled_from(["", "x", "<< parameters.x >>", "/[/"])
KEYS = st.sampled_from(["a", "name", "steps", "run"])
JUNK = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=6,
)


def _paths(node: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


@settings(
    max_examples=int(os.environ.get("MLCI_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.data())
def test_a_damaged_config_is_a_config_error_never_a_crash(data: st.DataObject) -> None:
    fixture = data.draw(st.sampled_from(["config.yml", "dynamic_config.yml"]))
    original = yaml.safe_load((ARTICLE / fixture).read_text(encoding="utf-8"))
    target = data.draw(st.sampled_from(_paths(original)[1:]))
    parent = original
    for key in target[:-1]:
        parent = parent[key]
    parent[target[-1]] = data.draw(JUNK)
    # ConfigError is the expected outcome of most damage; anything else escaping is a bug.
    with contextlib.suppress(ConfigError):
        config(yaml.safe_dump(original, sort_keys=False)).compile(FEATURE, {"deploy-abalone": True})


def test_command_arguments_are_checked_where_they_are_given() -> None:
    found = problems(
        """\
        version: 2.1
        commands:
          deploy:
            parameters:
              target: {type: string}
              level: {type: enum, enum: [low, high], default: low}
              var: {type: env_var_name, default: OK}
            steps:
              - run: echo << parameters.target >> << parameters.level >> $<< parameters.var >>
          unused:
            steps:
              - deploy: {level: extreme}
        jobs:
          build:
            docker: [{image: cimg/base:stable}]
            steps:
              - deploy: {target: prod, var: 1-bad}
        workflows:
          main:
            jobs: [build]
        """
    )
    assert found == [
        # a command named like an unsupported CircleCI step (deploy) is the user's command
        f"commands → unused → steps[0] → deploy: command 'deploy' needs a value for parameter"
        f" 'target' (no default), {FILE}:12:17",
        f"commands → unused → steps[0] → deploy → level: must be one of 'low', 'high', not"
        f" string 'extreme', {FILE}:12:25",
        "jobs → build → steps[0] → deploy → var: must be an environment variable name"
        f" ([A-Za-z_][A-Za-z0-9_]*), not string '1-bad', {FILE}:17:37",
    ]
