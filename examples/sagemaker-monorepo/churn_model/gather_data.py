"""Churn: the synthetic telecom dataset -> one-hot encoded, header-less CSV, label first.

The preprocessing of the SageMaker churn example: drop the phone number (an identifier) and the
four charge columns (each is a constant times the matching minutes column), treat the area code
as a category, one-hot encode, put the 0/1 label first, shuffle and split 70/20/10.

Run from the repository root: python -m churn_model.gather_data
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd

from common.data import read_text
from common.errors import StepFailed, run_step
from common.samples import SAMPLE_BUCKET
from common.steps import gather

FOLDER = Path(__file__).resolve().parent
SAMPLE_KEY = "datasets/tabular/synthetic/churn.txt"
LABEL = "Churn?"
LABELS = {"True.": 1, "False.": 0}
DROPPED = ["Phone", "Day Charge", "Eve Charge", "Night Charge", "Intl Charge"]
SPLIT_SEED = 1729


def preprocess(raw: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in [LABEL, "Area Code", *DROPPED] if c not in raw.columns]
    if missing:
        raise StepFailed(f"the churn data lacks the columns {missing}")
    unknown = sorted(set(raw[LABEL]) - set(LABELS))
    if unknown:
        raise StepFailed(f"{LABEL} must be True. or False., found {unknown[:5]}")
    label = raw[LABEL].map(LABELS).rename("churn")
    features = raw.drop(columns=[LABEL, *DROPPED])
    features["Area Code"] = features["Area Code"].astype(str)
    # dtype=int: pandas would otherwise write True/False, which XGBoost's CSV reader rejects.
    encoded = pd.get_dummies(features, dtype=int)
    return pd.concat([label, encoded], axis=1)


def split(frame: pd.DataFrame, seed: int = SPLIT_SEED) -> dict[str, pd.DataFrame]:
    shuffled = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    train_end, validation_end = int(0.7 * len(shuffled)), int(0.9 * len(shuffled))
    return {
        "train": shuffled.iloc[:train_end],
        "validation": shuffled.iloc[train_end:validation_end],
        "test": shuffled.iloc[validation_end:],
    }


def prepare(s3: Any) -> dict[str, pd.DataFrame]:
    raw = pd.read_csv(io.StringIO(read_text(s3, SAMPLE_BUCKET, SAMPLE_KEY)))
    return split(preprocess(raw))


def main() -> None:
    gather(FOLDER, prepare)


if __name__ == "__main__":
    run_step(main)
