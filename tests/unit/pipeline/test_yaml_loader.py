"""The located YAML loader: positions of keys and values, duplicates, syntax errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlci.pipeline.errors import ConfigError, Location
from mlci.pipeline.yaml_loader import YamlList, YamlMap, load_yaml_file, load_yaml_text

DOC = """\
version: 2.1
jobs:
  train:
    steps:
      - checkout
      - run: python train.py
"""


def test_keys_and_values_know_their_line_and_column() -> None:
    data = load_yaml_text(DOC, "config.yml")
    assert isinstance(data, YamlMap)
    assert data.key_location("jobs") == Location("config.yml", 2, 1)
    train = data["jobs"]["train"]
    assert data["jobs"].key_location("train") == Location("config.yml", 3, 3)
    steps = train["steps"]
    assert isinstance(steps, YamlList)
    assert steps == ["checkout", {"run": "python train.py"}]
    assert steps.item_location(1) == Location("config.yml", 6, 9)
    assert steps[1].value_location("run") == Location("config.yml", 6, 14)


def test_scalars_stay_plain_python_values() -> None:
    data = load_yaml_text("a: true\nb: 3\nc: '3'\nd: << pipeline.git.branch >>\ne:\n", "x.yml")
    assert data == {"a": True, "b": 3, "c": "3", "d": "<< pipeline.git.branch >>", "e": None}
    assert type(data["a"]) is bool


def test_merge_keys_apply_and_explicit_keys_override_them() -> None:
    data = load_yaml_text("base: &b\n  x: 1\n  y: 2\nuse:\n  <<: *b\n  y: 3\n", "x.yml")
    assert data["use"] == {"x": 1, "y": 3}


def test_every_duplicate_key_is_reported_with_both_lines() -> None:
    text = "a: 1\nb:\n  c: 1\n  c: 2\na: 2\n"
    with pytest.raises(ConfigError) as caught:
        load_yaml_text(text, "dup.yml")
    messages = [str(problem) for problem in caught.value.problems]
    assert sorted(messages) == [
        "duplicate key 'a' (first defined at line 1), dup.yml:5:1",
        "duplicate key 'c' (first defined at line 3), dup.yml:4:3",
    ]


def test_syntax_errors_name_file_and_line() -> None:
    with pytest.raises(ConfigError, match=r"invalid YAML: .*tab.*, bad\.yml:2:1"):
        load_yaml_text("a: 1\n\tb: 2\n", "bad.yml")
    with pytest.raises(ConfigError, match=r"invalid YAML: .*flow sequence.*, bad\.yml:2:"):
        load_yaml_text("a: [1, 2\nb: 2\n", "bad.yml")


def test_several_documents_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"invalid YAML: .*single document.*, two\.yml:2:1"):
        load_yaml_text("a: 1\n---\nb: 2\n", "two.yml")


def test_collection_keys_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"must be a scalar, not a collection, k\.yml:1:3"):
        load_yaml_text("? [a, b]\n: 1\n", "k.yml")


def test_file_errors_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"file not found: missing\.yml"):
        load_yaml_file(tmp_path / "missing.yml", "missing.yml")
    binary = tmp_path / "bin.yml"
    binary.write_bytes(b"a: \xff\xfe\n")
    with pytest.raises(ConfigError, match=r"bin\.yml is not UTF-8 text"):
        load_yaml_file(binary, "bin.yml")
    with pytest.raises(ConfigError, match="cannot read"):
        load_yaml_file(tmp_path, "dir.yml")


def test_file_name_defaults_to_the_path(tmp_path: Path) -> None:
    path = tmp_path / "c.yml"
    path.write_text("x: 1\n", encoding="utf-8")
    data = load_yaml_file(path)
    assert data.key_location("x") == Location(str(path), 1, 1)
