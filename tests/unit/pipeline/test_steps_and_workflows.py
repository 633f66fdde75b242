"""Every built-in step, and the malformed step, condition and workflow shapes."""

from __future__ import annotations

import textwrap

import pytest

from mlci.pipeline import model
from mlci.pipeline.conditions import logic_truthy
from mlci.pipeline.config import load_config_text
from mlci.pipeline.errors import ConfigError, Location, Problem
from mlci.pipeline.values import PipelineValues

from .configs import FILE, problems

HEAD = "version: 2.1\nexecutors:\n  e:\n    docker: [{image: cimg/base:stable}]\n"


def job_steps(steps_yaml: str) -> tuple[model.Step, ...]:
    text = (
        HEAD
        + "jobs:\n  j:\n    executor: e\n    steps:\n"
        + textwrap.indent(textwrap.dedent(steps_yaml), "      ")
        + "workflows:\n  w:\n    jobs: [j]\n"
    )
    job = load_config_text(text, FILE).compile(PipelineValues(git_branch="main")).workflow("w")
    built = job.job("j").job
    assert built is not None
    return built.steps


def step_problems(steps_yaml: str) -> list[str]:
    text = (
        HEAD
        + "jobs:\n  j:\n    executor: e\n    steps:\n"
        + textwrap.indent(textwrap.dedent(steps_yaml), "      ")
        + "workflows:\n  w:\n    jobs: [j]\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config_text(text, FILE)
    return [str(problem) for problem in caught.value.problems]


def test_every_built_in_step() -> None:
    steps = job_steps(
        """\
        - checkout
        - run:
            command: |
              make

              make test
            shell: /bin/bash -eo pipefail
            environment: {DEBUG: true, LEVEL: 2}
            background: true
            working_directory: sub
            no_output_timeout: 20m
            when: always
        - persist_to_workspace: {root: ., paths: [dist, 3]}
        - attach_workspace: {at: /tmp/ws}
        - store_artifacts: {path: dist, destination: build}
        - store_test_results: {path: reports}
        """
    )
    checkout, run, persist, attach, artifacts, results = steps
    assert isinstance(checkout, model.Checkout) and checkout.path is None
    assert run == model.Run(
        command="make\n\nmake test\n",
        name="make",
        location=run.location,
        shell="/bin/bash -eo pipefail",
        environment=run.environment,
        background=True,
        working_directory="sub",
        no_output_timeout="20m",
        when="always",
    )
    assert dict(run.environment) == {"DEBUG": "true", "LEVEL": "2"}
    assert persist == model.PersistToWorkspace(".", ("dist", "3"), persist.location)
    assert attach == model.AttachWorkspace("/tmp/ws", attach.location)
    assert artifacts == model.StoreArtifacts("dist", artifacts.location, "build")
    assert results == model.StoreTestResults("reports", results.location)


def test_malformed_steps() -> None:
    found = step_problems(
        """\
        - {run: make, checkout: {}}
        - 42
        - persist_to_workspace: {root: .}
        - attach_workspace: {}
        - store_artifacts: {destination: x}
        - store_test_results: reports
        - checkout: {path: src, depth: 1}
        - when: {condition: true}
        - unless:
            condition: nope ==
            steps: [checkout]
        - when:
            condition: unknown.variable
            steps: [checkout]
        """
    )
    assert found == [
        "jobs → j → steps[0]: a step is a step name or a one-key map {name: arguments}, not a"
        f" map with keys run, checkout, {FILE}:9:9",
        "jobs → j → steps[1]: a step is a step name or a one-key map {name: arguments}, not 42,"
        f" {FILE}:10:9",
        f"jobs → j → steps[2] → persist_to_workspace: missing required key 'paths', {FILE}:11:31",
        f"jobs → j → steps[3] → attach_workspace: missing required key 'at', {FILE}:12:27",
        f"jobs → j → steps[4] → store_artifacts: missing required key 'path', {FILE}:13:26",
        "jobs → j → steps[5] → store_test_results: must be a map, not string 'reports',"
        f" {FILE}:14:29",
        "jobs → j → steps[6] → checkout: unknown key 'depth' (allowed here: method, path),"
        f" {FILE}:15:31",
        f"jobs → j → steps[7] → when: missing required key 'steps', {FILE}:16:15",
        "jobs → j → steps[8] → unless → condition: invalid expression: expected an expression,"
        f" found 'the end' at character 8 of expression 'nope ==', {FILE}:18:22",
        "jobs → j → steps[9] → when → condition: cannot evaluate: unknown variable"
        f" 'unknown.variable' at character 1 of expression 'unknown.variable', {FILE}:21:22",
    ]


def test_malformed_conditions() -> None:
    found = problems(
        """\
        version: 2.1
        workflows:
          a:
            when: {and: x}
            jobs: [{h: {type: approval}}]
          b:
            when: {equal: []}
            jobs: [{h: {type: approval}}]
          c:
            when: {matches: {pattern: x}}
            jobs: [{h: {type: approval}}]
          d:
            when: {nand: [true]}
            jobs: [{h: {type: approval}}]
          e:
            when: {and: [true], or: [true]}
            jobs: [{h: {type: approval}}]
          f:
            when: [true]
            jobs: [{h: {type: approval}}]
          g:
            when: {matches: {pattern: 3, value: x}}
            jobs: [{h: {type: approval}}]
          h:
            unless: {not: {or: [{matches: {pattern: "(", value: x}}]}}
            jobs: [{h: {type: approval}}]
        """
    )
    assert [problem.split(", .circleci")[0] for problem in found] == [
        "workflows → a → when → and: and takes a list of conditions, not string",
        "workflows → b → when → equal: equal takes a non-empty list of values, not list",
        "workflows → c → when → matches: matches takes a map with exactly 'pattern' and 'value'",
        "workflows → d → when: unknown logic operator 'nand' (allowed: and, or, not, equal,"
        " matches)",
        "workflows → e → when: a logic statement has exactly one of and, or, not, equal,"
        " matches (found: and, or)",
        "workflows → f → when: a condition cannot be a list; use and:/or: [...]",
        "workflows → g → when → matches → pattern: must be a string, not integer",
        "workflows → h → unless → not → or[0] → matches → pattern: invalid regex '(': missing ),"
        " unterminated subpattern at position 0",
    ]


def test_logic_truthiness() -> None:
    for falsy in (None, False, 0, 0.0, float("nan"), "", [], {}):
        assert logic_truthy(falsy) is False, falsy
    for truthy in (True, 1, -1, 0.5, "false", "0", [0], {"a": 0}):
        assert logic_truthy(truthy) is True, truthy


def test_malformed_workflow_entries() -> None:
    found = problems(
        """\
        version: 2.1
        jobs:
          j:
            docker: [{image: cimg/base:stable}]
            parameters:
              p: {type: string, default: x}
            steps: [checkout]
        workflows:
          w:
            jobs:
              - {j: {}, k: {}}
              - j: not-a-map
              - j:
                  name: m1
                  matrix: {parameters: {}}
              - j:
                  name: m2
                  matrix: {parameters: {p: x}}
              - j:
                  name: m3
                  matrix:
                    parameters: {p: [a, b]}
                    exclude: [{q: a}]
              - j:
                  name: r
                  requires: [{j: [passed]}, {}]
                  context: [1]
              - j:
                  name: s
                  requires: j
                  filters: {branches: {only: [3]}}
        """
    )
    assert [problem.split(", .circleci")[0] for problem in found] == [
        "workflows → w → jobs[0]: a workflow job is a job name or a one-key map {job: options}",
        "workflows → w → jobs[1] → j: job options must be a map",
        "workflows → w → jobs[2] → j → matrix → parameters: a matrix needs at least one parameter",
        "workflows → w → jobs[3] → j → matrix → parameters → p: must be a non-empty list of"
        " values, not string",
        # the bad exclude is ignored, so both instances get the name given: a duplicate
        "workflows → w: two jobs are named 'm3' (give one another name with name:)",
        "workflows → w → jobs[4] → j → matrix → exclude[0]: an exclude entry gives a value for"
        " each matrix parameter (p)",
        "workflows → w → jobs[5] → j → requires[0]: statuses are one or more of success,"
        " failed, canceled, not ['passed']",
        "workflows → w → jobs[5] → j → requires[1]: a requires entry is a job name or {job-name:"
        " status or [statuses]}",
        "workflows → w → jobs[5] → j → context: a context is a name or a list of names",
        "workflows → w → jobs[6] → j → requires: must be a list, not string 'j'",
        "workflows → w → jobs[6] → j → filters → branches → only: a branch or tag pattern is a"
        " string, not integer",
    ]


def test_executor_references_and_orb_references() -> None:
    found = problems(
        """\
        version: 2.1
        orbs:
          odd: not-an-orb-reference
        executors:
          e:
            parameters:
              size: {type: integer}
            docker: [{image: cimg/base:stable}]
          m:
            machine: {image: ubuntu-2204:current, gpu: true}
          none: {resource_class: small}
        jobs:
          a:
            executor: {name: e, size: big}
            steps: [checkout]
          b:
            executor: {size: 1}
            steps: [checkout]
          c:
            executor: nowhere
            steps: [checkout]
        workflows:
          w:
            jobs: [a, b, c]
        """
    )
    assert [problem.split(", .circleci")[0] for problem in found] == [
        "orbs → odd: an orb reference is namespace/name@version, not 'not-an-orb-reference'",
        "executors → m → machine: unknown key 'gpu' (allowed here: docker_layer_caching, image)",
        "executors → none: an executor needs docker or machine",
        "jobs → a → executor → size: must be an integer, not string 'big'",
        "jobs → b → executor: an executor reference is a name or a map with 'name'",
        "jobs → c → executor: unknown executor 'nowhere' (executors: e, m, none)",
    ]


def test_a_machine_executor_and_job_level_overrides() -> None:
    text = """\
    version: 2.1
    jobs:
      gpu:
        machine: {image: ubuntu-2204:current}
        resource_class: gpu.nvidia.small
        shell: /bin/zsh
        steps: [checkout]
    workflows:
      w:
        jobs: [gpu]
    """
    pipeline = load_config_text(textwrap.dedent(text), FILE).compile()
    job = pipeline.workflow("w").job("gpu").job
    assert job is not None
    assert job.executor.kind == "machine" and job.executor.image == "ubuntu-2204:current"
    assert (job.resource_class, job.shell) == ("gpu.nvidia.small", "/bin/zsh")
    with pytest.raises(KeyError, match="workflow 'w' has no job 'nope'"):
        pipeline.workflow("w").job("nope")
    with pytest.raises(KeyError, match="pipeline has no workflow 'nope'"):
        pipeline.workflow("nope")


def test_substituting_a_list_into_a_string_is_an_error() -> None:
    found = step_problems(
        """\
        - run: echo << pipeline.parameters.x >>
        """
    )
    assert found[0].startswith("jobs → j → steps[0] → run: unknown reference")
    text = HEAD + textwrap.dedent(
        """\
        commands:
          c:
            parameters:
              s: {type: steps}
            steps:
              - run: echo << parameters.s >>
        jobs:
          j:
            executor: e
            steps:
              - c: {s: [checkout]}
        workflows:
          w:
            jobs: [j]
        """
    )
    with pytest.raises(ConfigError, match=r"<< parameters\.s >> is a YamlList and cannot be part"):
        load_config_text(text, FILE)


def test_error_objects() -> None:
    with pytest.raises(ValueError, match="needs at least one problem"):
        ConfigError([])
    problem = Problem(("a", "b"), "wrong", Location("f.yml", 3))
    assert str(problem) == "a → b: wrong, f.yml:3"
    assert str(Problem((), "just this")) == "just this"


def test_conditions_and_filters_that_cannot_be_evaluated() -> None:
    found = problems(
        """\
        version: 2.1
        workflows:
          w:
            when: pipeline.nothing == "x"
            jobs:
              - h:
                  type: approval
                  filters: pipeline.git.brunch == "main"
          plain: [not, a, map]
        """
    )
    assert found == [
        "workflows → w → when: cannot evaluate: unknown variable 'pipeline.nothing' at character"
        f" 1 of expression 'pipeline.nothing == \"x\"', {FILE}:4:11",
        "workflows → w → jobs → h → filters: cannot evaluate: unknown variable"
        " 'pipeline.git.brunch' at character 1 of expression 'pipeline.git.brunch == \"main\"',"
        f" {FILE}:8:20",
        f"workflows → plain: a workflow must be a map with jobs, {FILE}:9:10",
    ]


def test_command_arguments_must_be_a_map_and_finish_ends_a_setup_pipeline() -> None:
    text = """\
    version: 2.1
    setup: true
    orbs:
      continuation: circleci/continuation@1
    jobs:
      j:
        docker: [{image: cimg/base:stable}]
        steps:
          - continuation/finish
          - continuation/continue: just-a-string
    workflows:
      w:
        jobs: [j]
    """
    found = problems(text)
    assert found == [
        "jobs → j → steps[1] → continuation/continue: arguments of command"
        f" 'continuation/continue' must be a map, not 'just-a-string', {FILE}:10:32",
    ]
    fixed = textwrap.dedent(text).replace("      - continuation/continue: just-a-string\n", "")
    job = load_config_text(fixed, FILE).compile().workflow("w").job("j").job
    assert job is not None and [type(s).__name__ for s in job.steps] == ["FinishPipeline"]
