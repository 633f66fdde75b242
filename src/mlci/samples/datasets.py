"""The two public datasets the example models train on: names, digests and origins.

The digests are those recorded in the data README of this project (the bytes as published
there). Churn's origin serves the file with unknown line endings, so its bytes are normalised
before they are checked; see `normalise_line_endings`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from mlci.samples.errors import ChecksumMismatch


@dataclass(frozen=True)
class Dataset:
    name: str
    file_name: str
    sha256: str
    origin_url: str
    # True when the origin's line endings are not known (see normalise_line_endings).
    normalise: bool = False


ABALONE = Dataset(
    name="abalone",
    file_name="abalone.data",
    sha256="de37cdcdcaaa50c309d514f248f7c2302a5f1f88c168905eba23fe2fbc78449f",
    origin_url="https://archive.ics.uci.edu/ml/machine-learning-databases/abalone/abalone.data",
)

CHURN = Dataset(
    name="churn",
    file_name="churn.txt",
    sha256="f2bbe2a120317bc0228beec59da1fcbc31d589280b1b674814eaf5174c2ca6cc",
    origin_url=(
        "https://sagemaker-sample-files.s3.amazonaws.com/datasets/tabular/synthetic/churn.txt"
    ),
    # The only copy that could be checked had CRLF endings and no final newline, and it is not
    # known whether the S3 object has them too; the published digest is of the LF form with a
    # final newline, so both forms are accepted by normalising first.
    normalise=True,
)

DATASETS: tuple[Dataset, ...] = (ABALONE, CHURN)


def normalise_line_endings(data: bytes) -> bytes:
    """CRLF (and lone CR) to LF, and exactly one final newline."""
    data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return data if data.endswith(b"\n") else data + b"\n"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def verified(dataset: Dataset, data: bytes, where: str) -> bytes:
    """The dataset's bytes (normalised if it asks for it), or ChecksumMismatch naming `where`."""
    if dataset.normalise:
        data = normalise_line_endings(data)
    actual = sha256_hex(data)
    if actual != dataset.sha256:
        raise ChecksumMismatch(dataset.file_name, where, dataset.sha256, actual)
    return data
