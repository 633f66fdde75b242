"""What `mlci run` checks before it creates anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlci.pipeline.errors import ConfigError, PipelineError
from mlci.pipeline.pipeline_runner import parse_parameters, prepare
from tests.unit.pipeline.gitrepo import GitRepo

CONFIG = """\
version: 2.1
parameters:
  n: {type: integer, default: 1}
  name: {type: string, default: x}
jobs:
  j:
    docker: [{image: x}]
    steps: [{run: echo << pipeline.parameters.n >>}]
workflows:
  w:
    jobs: [j]
"""


def test_parameters_are_json_when_they_parse() -> None:
    assert parse_parameters(["n=3", "flag=true", "name=abc", 'quoted="5"', "empty="]) == {
        "n": 3,
        "flag": True,
        "name": "abc",
        "quoted": "5",
        "empty": "",
    }
    with pytest.raises(PipelineError, match="--param '=3': write it as name=value"):
        parse_parameters(["=3"])


def test_prepare_compiles_at_the_revision(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.commit({".circleci/config.yml": CONFIG}, "config")

    prepared = prepare(repo.root, parameters=["n=5"])

    assert prepared.source.revision == repo.head()
    assert prepared.pipeline.parameters["n"] == 5
    assert prepared.config_path == ".circleci/config.yml"
    with pytest.raises(ConfigError, match="parameters → n: value 'five'"):
        prepare(repo.root, parameters=["n=five"])
    assert not (repo.root / ".mlci").exists()


def test_a_config_outside_the_repository_is_read_from_disk(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.commit({"README": "x"}, "no config")
    outside = tmp_path / "elsewhere.yml"
    outside.write_text(CONFIG)

    prepared = prepare(repo.root, config_path=str(outside))

    assert prepared.config_path == str(outside)
    with pytest.raises(PipelineError, match="cannot read"):
        prepare(repo.root, config_path=str(tmp_path / "missing.yml"))
