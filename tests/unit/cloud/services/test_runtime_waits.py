"""What an invocation does when no model server can take it: it waits (a restart is bringing
the servers back, or a dead one is being replaced) and then says why, as SageMaker would."""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import signal
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import xgboost

from mlci.cloud.errors import AwsError
from mlci.cloud.hosting import deployer
from mlci.cloud.hosting.deployer import Outcome, Plan, VariantPlan
from mlci.cloud.http import Body, Request
from mlci.cloud.service import Context
from mlci.cloud.services.runtime import RuntimeService
from mlci.cloud.services.s3.access import S3Access
from mlci.cloud.services.s3.records import Bucket

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
CTX = Context("123456789012", "us-east-1", "request-1")
KEY = ("us-east-1", "e")


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "home"
    folder.mkdir()
    yield folder
    deployer.release(folder)


def _invocation() -> Request:
    body = Body()
    body.write(b"0.1,0.2,0.3,0.4\n")
    return Request("POST", "/endpoints/e/invocations", "", {"content-type": "text/csv"}, body)


def _model_in_s3(home: Path) -> str:
    rng = np.random.default_rng(0)
    features = rng.random((100, 4)).astype(np.float32)
    booster = xgboost.train({"nthread": 1}, xgboost.DMatrix(features, label=features.sum(1)), 5)
    raw = bytes(booster.save_raw("ubj"))
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        info = tarfile.TarInfo("xgboost-model")
        info.size = len(raw)
        tar.addfile(info, io.BytesIO(raw))
    (home / "upload").write_bytes(archive.getvalue())
    s3 = S3Access(home)
    s3.objects.create_bucket(Bucket("models", "us-east-1", time.time()))
    s3.put_file("models", "model.tar.gz", home / "upload")
    s3.close()
    return "s3://models/model.tar.gz"


def test_an_endpoint_still_being_restored_is_not_ready_after_the_wait(home: Path) -> None:
    service = RuntimeService(home, wait_for_servers=0.3)
    service.hosting.expect(KEY, "e")
    started = time.monotonic()
    with pytest.raises(AwsError, match="still starting; try again") as raised:
        asyncio.run(service.handle_async(_invocation(), CTX))
    assert raised.value.code == "ModelNotReadyException" and raised.value.status == 429
    assert time.monotonic() - started >= 0.3


def test_a_variant_whose_server_died_and_cannot_be_replaced_is_unavailable(home: Path) -> None:
    service = RuntimeService(home, wait_for_servers=0.5)
    hosting = service.hosting
    container = {"Image": IMAGE, "ModelDataUrl": _model_in_s3(home)}
    plan = Plan("d1", (VariantPlan("AllTraffic", 1.0, 1, [container]),))
    outcomes: list[Outcome] = []
    assert hosting.deploy(KEY, "e", plan, outcomes.append).result(timeout=60) == Outcome(True)

    async def invoke_then_kill_then_invoke() -> None:  # one event loop, as in the cloud
        answer = await service.handle_async(_invocation(), CTX)
        assert answer.status == 200
        assert ("x-amzn-invoked-production-variant", "AllTraffic") in answer.headers
        shutil.rmtree(hosting.deployments_dir / "d1" / "models")  # a replacement cannot load it
        (pid,) = hosting.servers(KEY)
        os.kill(pid, signal.SIGKILL)
        await service.handle_async(_invocation(), CTX)

    with pytest.raises(AwsError, match="No model server of endpoint e is available") as raised:
        asyncio.run(invoke_then_kill_then_invoke())
    assert raised.value.code == "ServiceUnavailable" and raised.value.status == 503
