"""boto3 clients for the cloud a test module runs against (the session's, or a module's own
`cloud` fixture where it defines one)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import RunningCloud


@pytest.fixture(scope="module")
def sm(cloud: RunningCloud) -> Any:
    return cloud.client("sagemaker")


@pytest.fixture(scope="module")
def s3(cloud: RunningCloud) -> Any:
    return cloud.client("s3")


@pytest.fixture(scope="module")
def logs(cloud: RunningCloud) -> Any:
    return cloud.client("logs")
