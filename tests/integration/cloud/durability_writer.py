"""A client that writes objects and registers model packages until it is stopped.

Run as a script by test_durability.py. After each acknowledged write it appends one line to
the ack file and fsyncs it, so the test knows exactly what the cloud promised to keep.
"""

from __future__ import annotations

import hashlib
import os
import sys

import boto3
from botocore.config import Config

GROUP = "durable-group"
BUCKET = "durable-bucket"


def body_for(index: int) -> bytes:
    """Deterministic bytes; every seventh object is over 1 MiB (the spooled upload path)."""
    size = 1_500_000 + index if index % 7 == 0 else 100 + index * 13
    seed = hashlib.sha256(str(index).encode()).digest()
    return (seed * (size // len(seed) + 1))[:size]


def main(ack_path: str, start: int) -> None:
    config = Config(
        retries={"max_attempts": 0},
        connect_timeout=2,
        read_timeout=10,
        s3={"addressing_style": "path"},
    )
    s3 = boto3.client("s3", config=config)
    sagemaker = boto3.client("sagemaker", config=config)
    with open(ack_path, "a") as acks:
        index = start
        while True:
            s3.put_object(Bucket=BUCKET, Key=f"obj/{index:06d}", Body=body_for(index))
            acks.write(f"object {index}\n")
            acks.flush()
            os.fsync(acks.fileno())
            reply = sagemaker.create_model_package(
                ModelPackageGroupName=GROUP,
                ModelPackageDescription=f"written at step {index}",
                InferenceSpecification={
                    "Containers": [
                        {
                            "Image": "sagemaker-xgboost:1.5-1",
                            "ModelDataUrl": f"s3://{BUCKET}/obj/{index:06d}",
                        }
                    ],
                    "SupportedContentTypes": ["text/csv"],
                    "SupportedResponseMIMETypes": ["text/csv"],
                },
            )
            acks.write(f"package {reply['ModelPackageArn'].rsplit('/', 1)[1]} {index}\n")
            acks.flush()
            os.fsync(acks.fileno())
            index += 1


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
