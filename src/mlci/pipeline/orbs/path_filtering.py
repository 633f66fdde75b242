"""circleci/path-filtering: the `filter` job and the `set-parameters`/`generate-config` commands.

Parameter names and defaults are the orb's (across its versions: `exclude` and
`before_set_params_script` arrived later, `tag` picks the python image); the work is done
natively. `settings_from_setup_config` finds the filter job of a setup config, so that
`mlci changes` reads the same mapping, base revision and excludes the pipeline uses.
"""

from __future__ import annotations

from pathlib import Path

from mlci.pipeline.changes import DEFAULT_CONFIG_PATH
from mlci.pipeline.changes_request import DEFAULT_BASE, FilterSettings
from mlci.pipeline.errors import ConfigError
from mlci.pipeline.model import SetParameters
from mlci.pipeline.values import PipelineValues

FULL_NAME = "circleci/path-filtering"

ORB_YAML = """\
version: 2.1
orbs:
  continuation: circleci/continuation@1
executors:
  default:
    parameters:
      tag: {type: string, default: "3.8"}
    docker:
      - image: cimg/python:<< parameters.tag >>
commands:
  set-parameters:
    description: Work out the pipeline parameters from the files this push changed.
    parameters:
      base-revision: {type: string, default: main}
      mapping: {type: string, default: ""}
      exclude: {type: string, default: ""}
      output-path: {type: string, default: /tmp/pipeline-parameters.json}
      config-path: {type: string, default: .circleci/continue_config.yml}
    steps:
      - native/set-parameters:
          base-revision: << parameters.base-revision >>
          mapping: << parameters.mapping >>
          exclude: << parameters.exclude >>
          output-path: << parameters.output-path >>
          config-path: << parameters.config-path >>
  generate-config:
    description: Merge the config files the mapping selected into one.
    parameters:
      config-list-path: {type: string, default: /tmp/filtered-config-list}
      generated-config-path: {type: string, default: /tmp/generated-config.yml}
    steps:
      - native/generate-config:
          config-list-path: << parameters.config-list-path >>
          generated-config-path: << parameters.generated-config-path >>
jobs:
  filter:
    description: Continue the setup pipeline with parameters set from the changed files.
    parameters:
      base-revision: {type: string, default: main}
      mapping: {type: string, default: ""}
      exclude: {type: string, default: ""}
      config-path: {type: string, default: .circleci/continue_config.yml}
      output-path: {type: string, default: /tmp/pipeline-parameters.json}
      circleci_domain: {type: string, default: circleci.com}
      workspace_path: {type: string, default: ""}
      resource_class: {type: string, default: small}
      tag: {type: string, default: "3.8"}
      before_set_params_script: {type: string, default: ""}
    executor:
      name: default
      tag: << parameters.tag >>
    resource_class: << parameters.resource_class >>
    steps:
      - checkout
      - when:
          condition:
            not:
              equal: ["", << parameters.workspace_path >>]
          steps:
            - attach_workspace:
                at: << parameters.workspace_path >>
      - when:
          condition:
            not:
              equal: ["", << parameters.before_set_params_script >>]
          steps:
            - run:
                name: Before set-parameters script
                command: << parameters.before_set_params_script >>
      - set-parameters:
          base-revision: << parameters.base-revision >>
          mapping: << parameters.mapping >>
          exclude: << parameters.exclude >>
          output-path: << parameters.output-path >>
          config-path: << parameters.config-path >>
      - generate-config
      - continuation/continue:
          configuration_path: /tmp/generated-config.yml
          parameters: << parameters.output-path >>
          circleci_domain: << parameters.circleci_domain >>
"""


def settings_from_setup_config(repo_root: Path, setup_config: str) -> FilterSettings:
    """The settings of the setup config's first set-parameters step (the filter job's).

    The config is compiled for the checked-out branch, so the arguments are what the
    pipeline would use: defaults filled in, `<< pipeline.* >>` substituted.
    """
    from mlci.pipeline.config import load_config

    path = repo_root / setup_config
    if not path.is_file():
        raise ConfigError.single(
            f"no mapping given and no setup config at {setup_config}: pass --mapping"
        )
    pipeline = load_config(path, setup_config).compile(PipelineValues.from_repository(repo_root))
    found = [
        (workflow_job, step)
        for workflow in sorted(pipeline.workflows, key=lambda w: not w.runs)
        for workflow_job in workflow.jobs
        if workflow_job.job is not None
        for step in workflow_job.job.steps
        if isinstance(step, SetParameters)
    ]
    if not found:
        raise ConfigError.single(
            f"no mapping given and {setup_config} has no path-filtering filter job or"
            " set-parameters step: pass --mapping"
        )
    workflow_job, step = found[0]
    origin = f"{setup_config}, job {workflow_job.name}"
    notes = tuple(f"also found in job {other.name}, not used" for other, _ in found[1:])
    return FilterSettings(
        base_revision=step.base_revision or DEFAULT_BASE,
        mapping=step.mapping,
        mapping_source=f"{setup_config} ({workflow_job.name} mapping)",
        excludes=((step.exclude, f"{setup_config} ({workflow_job.name} exclude)"),)
        if step.exclude
        else (),
        config_path=step.config_path or DEFAULT_CONFIG_PATH,
        origin=origin,
        notes=notes,
    )
