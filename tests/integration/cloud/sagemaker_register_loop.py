"""A client that registers model package versions into one group, recording each ack.

Run as a script by test_sagemaker_durability.py:
    python -m tests.integration.cloud.sagemaker_register_loop <ack-file> <group> [count]
with the cloud's endpoint and credentials in the environment (what `mlci cloud env` prints)
and WORKER naming this client. After each acknowledged CreateModelPackage it appends
"<version> <commit-id>" to the ack file and fsyncs it, so the test knows exactly what the
cloud promised to keep. It stops at the first failed call, as a pipeline step would.
"""

from __future__ import annotations

import os
import sys

import boto3
from botocore.config import Config

SPECIFICATION = {
    "Containers": [{"Image": "sagemaker-xgboost:1.7-1", "ModelDataUrl": "s3://m/model.tar.gz"}],
    "SupportedContentTypes": ["text/csv"],
    "SupportedResponseMIMETypes": ["text/csv"],
}


def main(ack_path: str, group: str, count: int | None) -> int:
    config = Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=60)
    sm = boto3.client("sagemaker", config=config)
    worker = os.environ.get("WORKER", "0")
    with open(ack_path, "a") as acks:
        index = 0
        while count is None or index < count:
            commit = f"{worker}-{index}"
            try:
                reply = sm.create_model_package(
                    ModelPackageGroupName=group,
                    InferenceSpecification=SPECIFICATION,
                    MetadataProperties={"CommitId": commit},
                )
            except Exception as exc:  # the cloud went away
                print(f"stopped after {index} registrations: {exc}", file=sys.stderr)
                return 3
            version = reply["ModelPackageArn"].rsplit("/", 1)[1]
            acks.write(f"{version} {commit}\n")
            acks.flush()
            os.fsync(acks.fileno())
            index += 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else None))
