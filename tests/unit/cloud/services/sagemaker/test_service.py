"""Assembling the SageMaker service from its operation modules."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from mlci.cloud.services import sagemaker
from mlci.cloud.services.sagemaker.clock import SystemClock
from mlci.cloud.services.sagemaker.state import State
from mlci.sqlite import Database


def test_every_registry_and_hosting_operation_is_served(tmp_path: Path) -> None:
    (service,) = sagemaker.create(tmp_path)
    assert service.name == "sagemaker"
    served = set(service.operations)  # type: ignore[attr-defined]
    for resource in ("ModelPackageGroup", "ModelPackage", "Model", "EndpointConfig"):
        for verb in ("Create", "Describe", "Delete"):
            assert f"{verb}{resource}" in served
    assert {
        "ListModelPackageGroups",
        "ListModelPackages",
        "ListModels",
        "ListEndpointConfigs",
    } <= served
    assert {"UpdateModelPackage", "AddTags", "ListTags", "DeleteTags"} <= served
    assert (tmp_path / "sagemaker.db").exists()


def test_two_modules_serving_one_operation_is_a_startup_error(tmp_path: Path) -> None:
    def handlers(state: State) -> dict[str, Any]:
        return {"DescribeModel": lambda params, ctx: {}}

    twice = (SimpleNamespace(handlers=handlers), SimpleNamespace(handlers=handlers))
    state = State(Database(tmp_path / "x.db", []), SystemClock(), tmp_path)
    with pytest.raises(RuntimeError, match=r"SageMaker\.DescribeModel is served by two modules"):
        sagemaker.merge_handlers(state, twice)  # type: ignore[arg-type]


def test_the_clock_never_runs_backwards() -> None:
    clock = SystemClock()
    readings = [clock.now() for _ in range(1000)]
    assert readings == sorted(readings)
    assert readings[0] == round(readings[0], 3)
