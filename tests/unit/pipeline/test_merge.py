"""Merging config files as path-filtering's generate-config does."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlci.pipeline.errors import ConfigError
from mlci.pipeline.merge import load_merged_config

COMMON = """\
version: 2.1
parameters:
  deploy-abalone: {type: boolean, default: false}
executors:
  py:
    docker: [{image: cimg/python:3.11}]
jobs:
  lint:
    executor: py
    steps: [checkout]
workflows:
  lint:
    jobs: [lint]
"""
ABALONE = """\
version: 2.1
parameters:
  deploy-churn: {type: boolean, default: false}
jobs:
  train:
    executor: py
    steps:
      - run: python train.py
workflows:
  lint:
    jobs: [lint, train]
"""


def write(tmp_path: Path, name: str, text: str) -> tuple[Path, str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path, f".circleci/{name}"


def test_maps_merge_and_later_lists_replace(tmp_path: Path) -> None:
    config = load_merged_config(
        [write(tmp_path, "common.yml", COMMON), write(tmp_path, "abalone.yml", ABALONE)]
    )
    assert sorted(config.parameters) == ["deploy-abalone", "deploy-churn"]
    assert sorted(config.jobs) == ["lint", "train"]
    workflow = config.compile().workflow("lint")
    assert [job.name for job in workflow.jobs] == ["lint", "train"]
    assert workflow.job("train").location.file == ".circleci/abalone.yml"


def test_problems_name_the_file_they_come_from(tmp_path: Path) -> None:
    broken = ABALONE.replace("executor: py", "executor: pyy")
    with pytest.raises(
        ConfigError, match=r"unknown executor 'pyy'.*, \.circleci/abalone\.yml:6:15"
    ):
        load_merged_config(
            [write(tmp_path, "common.yml", COMMON), write(tmp_path, "abalone.yml", broken)]
        )
    with pytest.raises(ConfigError, match="no config files to merge"):
        load_merged_config([])
    with pytest.raises(ConfigError, match=r"must be a map, not a list"):
        load_merged_config([write(tmp_path, "list.yml", "- a\n"), write(tmp_path, "c.yml", COMMON)])
