"""Fixtures: a dashboard on the shared cloud with a signed-in client; for the browser tests, a
cloud of their own with the sample data, and Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlci.samples import locate, seed_sample_bucket
from tests.conftest import RunningCloud, start_cloud
from tests.integration.ui.browser_support import chromium, require_chromium
from tests.unit.ui.ui_support import Client, RunningUi, running_ui


@pytest.fixture
def ui(cloud: RunningCloud, tmp_path: Path) -> Iterator[RunningUi]:
    with running_ui(tmp_path, cloud.home) as running:
        yield running


@pytest.fixture
def client(ui: RunningUi) -> Client:
    signed_in = ui.client()
    signed_in.login(name="Val")
    return signed_in


@pytest.fixture(scope="module")
def ui_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    """Its own cloud: the example's endpoints are named after the models, like other tests'."""
    folder = os.environ.get("MLCI_SAMPLES_DIR")
    if not folder:
        pytest.skip("MLCI_SAMPLES_DIR is not set (CI sets it to the folder with the datasets)")
    running = start_cloud(tmp_path_factory.mktemp("ui-cloud"))
    try:
        seed_sample_bucket(running.client("s3"), locate(Path(folder)))
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_chromium()
    with chromium() as launched:
        yield launched
