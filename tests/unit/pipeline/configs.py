"""Helpers for tests that load config text: load it, or collect the problems it has."""

from __future__ import annotations

import textwrap

import pytest

from mlci.pipeline.config import Config, load_config_text
from mlci.pipeline.errors import ConfigError

FILE = ".circleci/config.yml"


def config(text: str) -> Config:
    return load_config_text(textwrap.dedent(text), FILE)


def problems(text: str) -> list[str]:
    """Every problem loading `text` reports, as printed (it must fail to load)."""
    with pytest.raises(ConfigError) as caught:
        config(text)
    return [str(problem) for problem in caught.value.problems]
