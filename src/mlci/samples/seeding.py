"""Create SageMaker's public sample bucket, as the example scripts expect to find it.

Only the objects the examples read are created, at the keys AWS uses. Uploading is
idempotent: an object whose ETag already equals the MD5 of the new bytes is left alone, so a
second run costs one CreateBucket and four HEAD requests.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field
from typing import Any

from mlci.samples.abalone import abalone_to_libsvm, as_file, split
from mlci.samples.sources import Samples

SAMPLE_BUCKET = "sagemaker-sample-files"
ABALONE_PREFIX = "datasets/tabular/uci_abalone"
CHURN_KEY = "datasets/tabular/synthetic/churn.txt"


def abalone_key(part: str) -> str:
    return f"{ABALONE_PREFIX}/{part}/abalone.{part}"


def sample_objects(samples: Samples) -> dict[str, bytes]:
    """Key -> bytes of every object in the sample bucket."""
    splits = split(abalone_to_libsvm(samples.abalone))
    objects = {abalone_key(part): as_file(lines) for part, lines in splits._asdict().items()}
    objects[CHURN_KEY] = samples.churn
    return objects


@dataclass
class SeedReport:
    bucket: str
    uploaded: dict[str, int] = field(default_factory=dict)  # key -> size in bytes
    unchanged: list[str] = field(default_factory=list)


def seed_sample_bucket(s3: Any, samples: Samples, bucket: str = SAMPLE_BUCKET) -> SeedReport:
    """Create `bucket` if needed and upload what differs; `s3` is a boto3 S3 client."""
    ensure_bucket(s3, bucket)
    report = SeedReport(bucket)
    for key, data in sample_objects(samples).items():
        if _stored_etag(s3, bucket, key) == _etag_of(data):
            report.unchanged.append(key)
            continue
        s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType="text/plain")
        report.uploaded[key] = len(data)
    return report


def ensure_bucket(s3: Any, bucket: str) -> None:
    region = s3.meta.region_name
    # Outside us-east-1, S3 needs the region spelled out in the request body.
    config = (
        {}
        if region in (None, "us-east-1")
        else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    )
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=bucket, **config)


def _etag_of(data: bytes) -> str:
    # The ETag of an object uploaded in one PUT is the hex MD5 of its bytes, quoted.
    return '"' + hashlib.md5(data, usedforsecurity=False).hexdigest() + '"'


def _stored_etag(s3: Any, bucket: str, key: str) -> str | None:
    try:
        return str(s3.head_object(Bucket=bucket, Key=key)["ETag"])
    except s3.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
