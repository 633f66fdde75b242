"""A finished job's model, into S3 where SageMaker puts it.

With OutputDataConfig.CompressionType GZIP (the default) the files the algorithm wrote to its
model folder (`xgboost-model`) are packed into `model.tar.gz`, stored as
`<S3OutputPath>/<job>/output/model.tar.gz`; with NONE each file is stored under
`<S3OutputPath>/<job>/output/model/` and that prefix is the model's location. Each object is
one atomic S3 write, so a reader never sees part of a model.
"""

from __future__ import annotations

import os
import tarfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlci.cloud.errors import AwsError
from mlci.cloud.services.s3.access import S3Access
from mlci.cloud.services.sagemaker.training_inputs import JobFailure, S3Location, parse_s3_uri

ARCHIVE_NAME = "model.tar.gz"
ARCHIVE_TYPE = "application/x-tar"


def output_location(config: Mapping[str, Any]) -> S3Location:
    return parse_s3_uri(config["S3OutputPath"], "OutputDataConfig.S3OutputPath")


def job_output_prefix(config: Mapping[str, Any], job_name: str) -> S3Location:
    """`<S3OutputPath>/<job>/output/` as a location."""
    base = output_location(config)
    folder = base.key.rstrip("/")
    return S3Location(
        base.bucket, f"{folder}/{job_name}/output/" if folder else f"{job_name}/output/"
    )


def model_location(config: Mapping[str, Any], job_name: str) -> S3Location:
    """Where the model goes: the archive, or the folder of loose files (CompressionType NONE)."""
    prefix = job_output_prefix(config, job_name)
    if config.get("CompressionType") == "NONE":
        return S3Location(prefix.bucket, prefix.key + "model/")
    return S3Location(prefix.bucket, prefix.key + ARCHIVE_NAME)


def pack(model_dir: Path, archive: Path) -> None:
    """Tar and gzip every file of `model_dir` (names relative to it), then fsync."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
        for path in sorted(model_dir.rglob("*")):
            if path.is_file():
                tar.add(path, arcname=path.relative_to(model_dir).as_posix(), recursive=False)
    with open(archive, "rb") as written:
        os.fsync(written.fileno())


def upload(s3: S3Access, config: Mapping[str, Any], job_name: str, model_dir: Path) -> str:
    """Store the model in S3; returns ModelArtifacts.S3ModelArtifacts."""
    target = model_location(config, job_name)
    try:
        if target.key.endswith("/"):
            for path in sorted(model_dir.rglob("*")):
                if path.is_file():
                    key = target.key + path.relative_to(model_dir).as_posix()
                    s3.put_file(target.bucket, key, path)
        else:
            archive = model_dir.parent / "output" / ARCHIVE_NAME
            pack(model_dir, archive)
            s3.put_file(target.bucket, target.key, archive, ARCHIVE_TYPE)
    except AwsError as error:
        raise upload_failed(target, error) from None
    return target.uri


def upload_failed(target: S3Location, error: AwsError) -> JobFailure:
    if error.code == "NoSuchBucket":
        why = f'the output bucket "{target.bucket}" does not exist'
    else:
        why = f"{error.code}: {error.message}"
    return JobFailure(f"ClientError: Artifact upload failed: {why} ({target.uri})")
