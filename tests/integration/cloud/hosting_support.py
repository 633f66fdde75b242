"""Helpers for the hosting and runtime tests: real boosters, their artifacts in the cloud's S3,
models / configurations / endpoints made with boto3, and the cloud's model-server processes.

The boosters are trained here, in-process, on the real abalone and churn data from
MLCI_SAMPLES_DIR (the tests skip, saying so, when it is not set); predictions are checked
against the same booster's `inplace_predict`.
"""

from __future__ import annotations

import functools
import io
import os
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tests.conftest import RunningCloud
from tests.integration.cloud.sagemaker_support import ROLE_ARN, unique
from tests.unit.algorithms.xgboost.sample_data import abalone_libsvm, churn_csv, samples_dir

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
BUCKET = "hosting-models"
SEX_CODES = {"M": 1.0, "F": 2.0, "I": 3.0}
SERVE_MODULE = b"mlci.algorithms.xgboost.serve"


@dataclass(frozen=True)
class TrainedModel:
    """A booster, its model.tar.gz, and data to ask it about."""

    booster: Any
    tarball: bytes
    features: np.ndarray  # float32 rows without the label

    def predict(self, rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.booster.inplace_predict(np.asarray(rows, np.float32)))

    def csv(self, rows: np.ndarray) -> bytes:
        return "".join(",".join(repr(float(v)) for v in row) + "\n" for row in rows).encode()


def abalone_features() -> tuple[np.ndarray, np.ndarray]:
    """UCI abalone: sex coded 1/2/3 and the 7 measurements; the label is the ring count."""
    rows = [line.split(",") for line in (samples_dir() / "abalone.data").read_text().split()]
    features = np.array([[SEX_CODES[r[0]], *map(float, r[1:8])] for r in rows], np.float32)
    return features, np.array([float(r[8]) for r in rows], np.float32)


@functools.cache
def abalone_model(rounds: int = 30) -> TrainedModel:
    features, labels = abalone_features()
    return _train(features, labels, {"objective": "reg:squarederror", "max_depth": 5}, rounds)


@functools.cache
def churn_model(rounds: int = 20) -> TrainedModel:
    lines = churn_csv(samples_dir() / "churn.txt")
    table = np.array([[float(v) for v in line.split(",")] for line in lines], np.float32)
    params = {"objective": "binary:logistic", "max_depth": 4}
    return _train(table[:, 1:], table[:, 0], params, rounds)


def abalone_libsvm_body(count: int) -> bytes:
    lines = abalone_libsvm((samples_dir() / "abalone.data").read_text())[:count]
    # the label is dropped; LIBSVM indices 1..8 are the model's columns 1..8 (0 unused)
    return "".join(line.split(" ", 1)[1] + "\n" for line in lines).encode()


def _train(
    features: np.ndarray, labels: np.ndarray, params: dict[str, Any], rounds: int
) -> TrainedModel:
    import xgboost

    booster = xgboost.train(
        {**params, "seed": 0, "nthread": 1}, xgboost.DMatrix(features, label=labels), rounds
    )
    return TrainedModel(booster, tarball_of(bytes(booster.save_raw("ubj"))), features)


def tarball_of(model_bytes: bytes, name: str = "xgboost-model") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(model_bytes)
        tar.addfile(info, io.BytesIO(model_bytes))
    return buffer.getvalue()


def upload(cloud: RunningCloud, body: bytes, key: str | None = None) -> str:
    s3 = cloud.client("s3")
    with suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=BUCKET)
    key = key or f"{unique('artifact')}/model.tar.gz"
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    return f"s3://{BUCKET}/{key}"


def create_model(cloud: RunningCloud, model_url: str, image: str = IMAGE) -> str:
    name = unique("model")
    cloud.client("sagemaker").create_model(
        ModelName=name,
        PrimaryContainer={"Image": image, "ModelDataUrl": model_url},
        ExecutionRoleArn=ROLE_ARN,
    )
    return name


def variant(
    model: str, name: str = "AllTraffic", weight: float = 1.0, count: int = 1
) -> dict[str, Any]:
    return {
        "VariantName": name,
        "ModelName": model,
        "InstanceType": "ml.m5.large",
        "InitialInstanceCount": count,
        "InitialVariantWeight": weight,
    }


def create_config(cloud: RunningCloud, *variants: dict[str, Any]) -> str:
    name = unique("config")
    cloud.client("sagemaker").create_endpoint_config(
        EndpointConfigName=name, ProductionVariants=list(variants)
    )
    return name


def config_for(cloud: RunningCloud, trained: TrainedModel | bytes, count: int = 1) -> str:
    """An endpoint configuration of one variant serving `trained` (or raw artifact bytes)."""
    tarball = trained if isinstance(trained, bytes) else trained.tarball
    return create_config(cloud, variant(create_model(cloud, upload(cloud, tarball)), count=count))


@contextmanager
def endpoint(cloud: RunningCloud, config: str, **extra: Any) -> Iterator[str]:
    """An endpoint of `config`, deleted afterwards (its servers with it)."""
    name = unique("endpoint")
    sagemaker = cloud.client("sagemaker")
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=config, **extra)
    try:
        yield name
    finally:
        sagemaker.delete_endpoint(EndpointName=name)


def invoke(
    cloud: RunningCloud, name: str, body: bytes, content_type: str = "text/csv", **extra: Any
) -> Any:
    return cloud.client("sagemaker-runtime").invoke_endpoint(
        EndpointName=name, Body=body, ContentType=content_type, **extra
    )


def predictions(reply: Any) -> np.ndarray:
    return np.array([float(v) for v in reply["Body"].read().split()])


def _model_servers() -> Iterator[tuple[int, int, str]]:
    """(pid, parent pid, where its output goes) of every model-server process. A server's
    output is its log: `.../hosting/deployments/<id>/servers/<name>.log` while it serves,
    `.../hosting/spares/spare-*.log` while it is a warm spare waiting for a model."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if SERVE_MODULE not in (entry / "cmdline").read_bytes():
                continue
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            output = os.readlink(entry / "fd" / "1")
        except OSError:
            continue
        yield int(entry.name), parent, output


def server_pids(cloud_pid: int) -> list[int]:
    """The cloud's model servers that serve a model (not its spare)."""
    return [
        pid
        for pid, parent, out in _model_servers()
        if parent == cloud_pid and "/deployments/" in out
    ]


def processes_serving(home: Path) -> list[int]:
    """Every model-server process, serving or spare, of the cloud at `home` (whoever its parent)."""
    return [pid for pid, _, out in _model_servers() if out.startswith(str(home))]
