"""Training data in S3: where each split lives, writing it as SageMaker's XGBoost wants it, and
reading a few rows back for a smoke test.

Each split is one header-less CSV object with the label in the first column, named after the
commit it was prepared from: `s3://<bucket>/<model>/<split>/<commit>.csv`. Two branches that
prepare data at the same time therefore never overwrite each other's files, and a training job
reads exactly the data its own job prepared.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from common.errors import StepFailed

SPLITS = ("train", "validation", "test")


def split_uri(bucket: str, model_name: str, split: str, commit: str) -> str:
    return f"s3://{bucket}/{model_name}/{split}/{commit}.csv"


def parse_s3_uri(uri: str) -> tuple[str, str]:
    parts = urlsplit(uri)
    if parts.scheme != "s3" or not parts.netloc or not parts.path.strip("/"):
        raise StepFailed(f"not an s3://bucket/key URI: {uri!r}")
    return parts.netloc, parts.path.lstrip("/")


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    # No header and no index: SageMaker's XGBoost reads every CSV line as label,features... and a
    # header line would be parsed as data (or fail the job). Missing values stay empty fields.
    return frame.to_csv(header=False, index=False, na_rep="", lineterminator="\n").encode()


def put_split(s3: Any, uri: str, frame: pd.DataFrame) -> None:
    bucket, key = parse_s3_uri(uri)
    s3.put_object(Bucket=bucket, Key=key, Body=to_csv_bytes(frame), ContentType="text/csv")
    print(f"wrote {len(frame)} rows x {frame.shape[1]} columns to {uri}")


def read_text(s3: Any, bucket: str, key: str) -> str:
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        raise StepFailed(f"s3://{bucket}/{key} does not exist") from None
    except s3.exceptions.NoSuchBucket:
        raise StepFailed(f"bucket {bucket} does not exist (reading {key})") from None
    return str(body.decode("utf-8"))


def require_objects(s3: Any, uris: Iterable[str], hint: str) -> None:
    """StepFailed naming the first of `uris` that does not exist."""
    for uri in uris:
        bucket, key = parse_s3_uri(uri)
        try:
            s3.head_object(Bucket=bucket, Key=key)
        except s3.exceptions.ClientError as exc:
            if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound", "NoSuchBucket"):
                raise StepFailed(f"{uri} does not exist; {hint}") from None
            raise


def first_rows(s3: Any, uri: str, count: int) -> list[tuple[str, str]]:
    """(label, features as one CSV line) for the first `count` rows of a split."""
    bucket, key = parse_s3_uri(uri)
    lines = [line for line in read_text(s3, bucket, key).splitlines() if line.strip()]
    rows = []
    for line in lines[:count]:
        label, _, features = line.partition(",")
        rows.append((label, features))
    return rows
