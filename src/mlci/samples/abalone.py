"""UCI `abalone.data` -> the libsvm splits of SageMaker's sample bucket.

Each libsvm line is `<Rings> 1:<sex> 2:<Length> ... 8:<Shell weight>`, with the sex coded
M=1, F=2, I=3 (the coding of the LIBSVM abalone file the SageMaker examples use) and the seven
measurements copied as written in the source, so no float is re-rounded.

The split is a seeded shuffle of the rows, then 70 % train, 15 % validation and the rest test
(2923 / 626 / 628 of the 4177 rows); the SageMaker XGBoost abalone example splits 70/15/15 too.
The same input always gives the same three files.
"""

from __future__ import annotations

import random
from typing import NamedTuple

from mlci.samples.errors import MalformedSample

SEX_CODES = {"M": "1", "F": "2", "I": "3"}
FIELDS = 9
SPLIT_SEED = 20240601
TRAIN_PERCENT = 70
VALIDATION_PERCENT = 15


class Splits(NamedTuple):
    train: list[str]
    validation: list[str]
    test: list[str]


def row_to_libsvm(row: str, line_number: int) -> str:
    fields = row.split(",")
    if len(fields) != FIELDS:
        raise MalformedSample(
            f"abalone.data line {line_number}: expected {FIELDS} fields, got {len(fields)}"
        )
    sex, *measurements, rings = (field.strip() for field in fields)
    if sex not in SEX_CODES:
        raise MalformedSample(
            f"abalone.data line {line_number}: Sex must be M, F or I, got {sex!r}"
        )
    if not rings.isdigit():
        raise MalformedSample(
            f"abalone.data line {line_number}: Rings must be an integer, got {rings!r}"
        )
    for value in measurements:
        _check_float(value, line_number)
    features = [SEX_CODES[sex], *measurements]
    return " ".join([rings, *(f"{index}:{value}" for index, value in enumerate(features, 1))])


def _check_float(value: str, line_number: int) -> None:
    try:
        float(value)
    except ValueError:
        raise MalformedSample(
            f"abalone.data line {line_number}: measurement {value!r} is not a number"
        ) from None


def abalone_to_libsvm(data: bytes) -> list[str]:
    """One libsvm line per row of `abalone.data` (blank lines are skipped)."""
    lines = data.decode("utf-8").splitlines()
    return [row_to_libsvm(row, number) for number, row in enumerate(lines, 1) if row.strip()]


def split(lines: list[str], seed: int = SPLIT_SEED) -> Splits:
    """A deterministic shuffle-and-cut into train / validation / test."""
    shuffled = list(lines)
    random.Random(seed).shuffle(shuffled)
    train_end = len(shuffled) * TRAIN_PERCENT // 100
    validation_end = train_end + len(shuffled) * VALIDATION_PERCENT // 100
    return Splits(
        shuffled[:train_end], shuffled[train_end:validation_end], shuffled[validation_end:]
    )


def as_file(lines: list[str]) -> bytes:
    return "".join(line + "\n" for line in lines).encode()
