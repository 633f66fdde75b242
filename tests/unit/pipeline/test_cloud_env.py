"""Reading `mlci cloud env`, and deciding where jobs' AWS settings come from."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlci.pipeline.cloud_env import AwsProvider, cloud_home, is_configured, parse_exports
from mlci.pipeline.errors import PipelineError


def test_parse_exports_with_shell_quoting() -> None:
    text = "export A=1\nexport B='with space'\nexport C='it'\"'\"'s'\nnoise\n"
    assert parse_exports(text) == {"A": "1", "B": "with space", "C": "it's"}


def test_cloud_home_and_configured(tmp_path: Path) -> None:
    assert cloud_home({"MLCI_HOME": str(tmp_path)}) == tmp_path
    assert cloud_home({"XDG_DATA_HOME": str(tmp_path)}) == tmp_path / "mlci"
    assert not is_configured({"MLCI_HOME": str(tmp_path)})
    (tmp_path / "credentials.json").write_text("{}")
    assert is_configured({"MLCI_HOME": str(tmp_path)})


def test_real_and_unconfigured_use_your_environment_and_mask_your_secrets(tmp_path: Path) -> None:
    environ = {"MLCI_HOME": str(tmp_path), "AWS_SECRET_ACCESS_KEY": "mine-secret"}
    real = AwsProvider("real", environ).get()
    auto = AwsProvider("auto", environ).get()
    assert real.real and auto.real
    assert real.variables == {} and real.secrets == ("mine-secret",)
    assert auto.source == "AWS: your own environment (mlci cloud is not configured here)"


def test_unknown_mode() -> None:
    with pytest.raises(PipelineError, match="--aws is one of auto, cloud, real, not 'fake'"):
        AwsProvider("fake")
