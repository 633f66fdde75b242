"""A model's container -> a directory of model files that a model server can load.

A model names its artifact as `ModelDataUrl` (an `s3://` URL of a model.tar.gz) or as
`ModelDataSource.S3DataSource` (one object, gzipped or not, or an uncompressed prefix). The
bytes come from the cloud's own S3 in-process. An archive is unpacked by
`model_archive.extract`, which refuses links, absolute names and `..`; a prefix is copied
object by object, with each key checked the same way, since S3 keys are arbitrary strings and
never a path to trust. Every problem is a `DeploymentFailed` whose message is the endpoint's
FailureReason, worded like SageMaker's.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from mlci.algorithms.errors import ModelError
from mlci.algorithms.xgboost import model_archive
from mlci.cloud.errors import AwsError
from mlci.cloud.services.s3.access import S3Access

XGBOOST_REPOSITORY = "sagemaker-xgboost"
_S3_URI = re.compile(r"s3://(?P<bucket>[^/]+)/(?P<key>.*)")


class DeploymentFailed(Exception):
    """A deployment cannot go ahead; the message is the endpoint's FailureReason."""


@dataclass(frozen=True)
class ModelSource:
    image: str
    uri: str
    prefix: bool = False  # S3DataType S3Prefix: every object under the URI
    compressed: bool = True  # a (gzipped) tar archive


def image_repository(image: str) -> str:
    """`acct.dkr.ecr.region.amazonaws.com/sagemaker-xgboost:1.7-1` -> `sagemaker-xgboost`."""
    name = image.split("@", 1)[0].rsplit("/", 1)[-1]
    return name.split(":", 1)[0]


def model_source(containers: Sequence[Mapping[str, Any]]) -> ModelSource:
    """What to serve for a model's resolved containers (one XGBoost container)."""
    if len(containers) != 1:
        raise DeploymentFailed(
            f"The model has {len(containers)} containers; mlci cloud serves single-container "
            "models only (inference pipelines are not supported)."
        )
    container = containers[0]
    image = str(container.get("Image") or "")
    if image_repository(image) != XGBOOST_REPOSITORY:
        raise DeploymentFailed(
            f"mlci cloud serves the SageMaker XGBoost algorithm only; image '{image}' is not a "
            f"'{XGBOOST_REPOSITORY}' image (any registry and tag are accepted)."
        )
    if container.get("ModelDataUrl"):
        return ModelSource(image, str(container["ModelDataUrl"]))
    source = (container.get("ModelDataSource") or {}).get("S3DataSource")
    if not source:
        raise DeploymentFailed(
            "The model's container has no ModelDataUrl or ModelDataSource; the XGBoost "
            "algorithm needs a model artifact (model.tar.gz with xgboost-model)."
        )
    return ModelSource(
        image,
        str(source["S3Uri"]),
        prefix=source.get("S3DataType") == "S3Prefix",
        compressed=source.get("CompressionType", "None") == "Gzip",
    )


def fetch(s3: S3Access, source: ModelSource, destination: Path) -> None:
    """Make the empty directory `destination` hold the model's files."""
    match = _S3_URI.fullmatch(source.uri)
    if match is None:
        raise DeploymentFailed(f'Model data URL "{source.uri}" is not an s3:// URL.')
    bucket, key = match["bucket"], match["key"]
    destination.mkdir(parents=True, exist_ok=True)
    try:
        if source.prefix and not source.compressed:
            _copy_prefix(s3, bucket, key, destination)
        else:
            _unpack_object(s3, bucket, key, destination, source.compressed)
    except AwsError as error:
        raise DeploymentFailed(_download_failure(source.uri, error.message)) from None
    except ModelError as error:
        raise DeploymentFailed(error.message) from None


def _download_failure(uri: str, detail: str) -> str:
    return (
        f'Failed to download model data for container "container_1" from URL: "{uri}" '
        f"({detail}). Please ensure that there is an object located at the URL."
    )


def _unpack_object(s3: S3Access, bucket: str, key: str, destination: Path, archive: bool) -> None:
    record = s3.find(bucket, key)
    if not archive:
        s3.link(bucket, record, destination / _safe_relative(PurePosixPath(key).name or "model"))
        return
    with tempfile.TemporaryDirectory(dir=destination.parent, prefix=".download-") as scratch:
        local = Path(scratch) / "model.tar.gz"
        s3.link(bucket, record, local)
        model_archive.extract(local, destination)


def _copy_prefix(s3: S3Access, bucket: str, prefix: str, destination: Path) -> None:
    copied = 0
    for record in s3.list_prefix(bucket, prefix):
        relative = record.key[len(prefix) :].lstrip("/")
        if not relative or relative.endswith("/"):
            continue  # the prefix itself, or a "folder" marker object
        s3.link(bucket, record, destination / _safe_relative(relative))
        copied += 1
    if copied == 0:
        raise AwsError("NoSuchKey", "no objects under the prefix")


def _safe_relative(name: str) -> Path:
    parts = PurePosixPath(name).parts
    if not parts or name.startswith("/") or any(p in ("..", ".") for p in parts) or "\\" in name:
        raise ModelError(f"Unable to load model: the model file name {name!r} is not a safe path")
    return Path(*parts)


def clear(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)
