"""circleci/continuation: the `continue` job and command, and `finish`.

`continue` hands a config and a parameters object (JSON text or a file holding it) to the
pipeline; the runner does that natively, and refuses parameters the continued config does
not declare, as CircleCI does.
"""

from __future__ import annotations

FULL_NAME = "circleci/continuation"

ORB_YAML = """\
version: 2.1
executors:
  default:
    docker:
      - image: cimg/base:stable
commands:
  continue:
    description: Continue the setup pipeline with a config and pipeline parameters.
    parameters:
      configuration_path: {type: string}
      parameters: {type: string, default: "{}"}
      circleci_domain: {type: string, default: circleci.com}
      when: {type: enum, enum: [on_success, on_fail, always], default: on_success}
    steps:
      - native/continue:
          configuration_path: << parameters.configuration_path >>
          parameters: << parameters.parameters >>
          when: << parameters.when >>
  finish:
    description: End the setup pipeline without continuing it.
    steps:
      - native/finish: {}
jobs:
  continue:
    description: Continue the setup pipeline with a config and pipeline parameters.
    parameters:
      configuration_path: {type: string}
      parameters: {type: string, default: "{}"}
      circleci_domain: {type: string, default: circleci.com}
      checkout: {type: boolean, default: true}
      workspace_path: {type: string, default: ""}
    executor: default
    steps:
      - when:
          condition: << parameters.checkout >>
          steps:
            - checkout
      - when:
          condition:
            not:
              equal: ["", << parameters.workspace_path >>]
          steps:
            - attach_workspace:
                at: << parameters.workspace_path >>
      - continue:
          configuration_path: << parameters.configuration_path >>
          parameters: << parameters.parameters >>
          circleci_domain: << parameters.circleci_domain >>
"""
