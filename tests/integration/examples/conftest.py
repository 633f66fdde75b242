"""Fixtures for the example's tests: moto_server, a git copy of the example, its modules, and
boto3 clients (with the scripts' settings in the environment) on a freshly reset moto."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace

import boto3
import pytest

from tests.integration.examples.moto_support import (
    aws_env,
    example_repository,
    import_example,
    moto_post,
    moto_server,
)


@pytest.fixture(scope="session")
def moto_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with moto_server(tmp_path_factory.mktemp("moto") / "moto.log") as url:
        yield url


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return example_repository(tmp_path_factory.mktemp("example") / "monorepo")


@pytest.fixture(scope="module")
def ex(repo: Path) -> SimpleNamespace:
    """The example's modules, imported from the repository copy."""
    names = ["common.steps", "common.registry", "common.deployment", "common.source"]
    names += ["common.settings", "common.training", "common.errors", "common.smoke"]
    modules: list[ModuleType] = import_example(repo, *names)
    return SimpleNamespace(
        **{name.split(".")[1]: module for name, module in zip(names, modules, strict=True)}
    )


@pytest.fixture
def aws(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    moto_post(moto_url, "/moto-api/reset")
    for name, value in aws_env(moto_url).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MODEL_NAME", "abalone-model")
    monkeypatch.setenv("MODEL_DESC", "abalone model description text")
    monkeypatch.setenv("ENDPOINT_WAIT_DELAY_SECONDS", "1")
    monkeypatch.setenv("ENDPOINT_WAIT_MAX_ATTEMPTS", "5")
    session = boto3.Session()
    return SimpleNamespace(
        url=moto_url,
        sm=session.client("sagemaker"),
        s3=session.client("s3"),
        runtime=session.client("sagemaker-runtime"),
        session=session,
    )
