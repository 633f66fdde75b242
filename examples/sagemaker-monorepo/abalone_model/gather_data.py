"""Abalone: the sample bucket's libsvm splits -> header-less CSV with the label (Rings) first.

The sample bucket already holds train / validation / test splits, so they are used as given and
only converted: CSV keeps one content type for both models' training and endpoints. Feature 1 is
the sex coded M=1, F=2, I=3 (an ordinal code is fine for trees); a feature missing from a libsvm
line is an empty CSV field, i.e. missing to XGBoost — as it would be in libsvm.

Run from the repository root: python -m abalone_model.gather_data
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from common.data import SPLITS, read_text
from common.errors import StepFailed, run_step
from common.samples import SAMPLE_BUCKET
from common.steps import gather

FOLDER = Path(__file__).resolve().parent
COLUMNS = [
    "rings",
    "sex",
    "length",
    "diameter",
    "height",
    "whole_weight",
    "shucked_weight",
    "viscera_weight",
    "shell_weight",
]


def sample_key(split: str) -> str:
    return f"datasets/tabular/uci_abalone/{split}/abalone.{split}"


def libsvm_row(line: str, number: int) -> list[float]:
    label, *pairs = line.split()
    row = [float(label)] + [math.nan] * (len(COLUMNS) - 1)
    for pair in pairs:
        index, _, value = pair.partition(":")
        if not index.isdigit() or not 1 <= int(index) < len(COLUMNS):
            raise StepFailed(f"line {number}: feature index {index!r} is not 1..{len(COLUMNS) - 1}")
        row[int(index)] = float(value)
    return row


def libsvm_to_frame(text: str) -> pd.DataFrame:
    try:
        rows = [libsvm_row(line, n) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    except ValueError as exc:
        raise StepFailed(f"malformed libsvm data: {exc}") from None
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["rings"] = frame["rings"].astype(int)
    return frame


def prepare(s3: Any) -> dict[str, pd.DataFrame]:
    return {
        split: libsvm_to_frame(read_text(s3, SAMPLE_BUCKET, sample_key(split))) for split in SPLITS
    }


def main() -> None:
    gather(FOLDER, prepare)


if __name__ == "__main__":
    run_step(main)
