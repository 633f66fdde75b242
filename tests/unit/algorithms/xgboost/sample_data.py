"""The example datasets (abalone, churn) in the shapes SageMaker's XGBoost samples use.

The data itself is not in the repository: tests read it from the folder named by the
MLCI_SAMPLES_DIR environment variable (CI points it at the shared data folder) and skip, saying
why, when it is not set.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

SEED = 42
SEX_CODES = {"M": "1", "F": "2", "I": "3"}
CHURN_DROPPED = ["Phone", "Day Charge", "Eve Charge", "Night Charge", "Intl Charge"]
CHURN_CATEGORICAL = ["State", "Area Code", "Int'l Plan", "VMail Plan"]


def samples_dir() -> Path:
    folder = os.environ.get("MLCI_SAMPLES_DIR")
    if not folder:
        pytest.skip("MLCI_SAMPLES_DIR is not set: it names the folder with abalone.data/churn.txt")
    path = Path(folder)
    if not path.is_dir():
        pytest.skip(f"MLCI_SAMPLES_DIR={folder} is not a directory")
    return path


@dataclass(frozen=True)
class Split:
    train: list[str]
    validation: list[str]
    test: list[str]

    def write(self, root: Path, name: str) -> dict[str, Path]:
        """Write train/validation/test files into their own folders, as the SDK uploads them."""
        paths = {}
        for part in ("train", "validation", "test"):
            folder = root / part
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{name}.{part}"
            path.write_text("\n".join(getattr(self, part)) + "\n")
            paths[part] = folder
        return paths


def split_70_20_10(lines: list[str], seed: int = SEED) -> Split:
    order = np.random.default_rng(seed).permutation(len(lines))
    shuffled = [lines[i] for i in order]
    n_train, n_validation = int(0.7 * len(lines)), int(0.2 * len(lines))
    return Split(
        train=shuffled[:n_train],
        validation=shuffled[n_train : n_train + n_validation],
        test=shuffled[n_train + n_validation :],
    )


def abalone_libsvm(raw: str) -> list[str]:
    """UCI abalone rows -> '<rings> 1:<sex code> 2:<length> ... 8:<shell weight>'."""
    lines = []
    for row in raw.strip().splitlines():
        sex, *measurements, rings = row.split(",")
        features = [SEX_CODES[sex], *measurements]
        lines.append(" ".join([rings, *(f"{i}:{v}" for i, v in enumerate(features, 1))]))
    return lines


def churn_csv(path: Path) -> list[str]:
    """churn.txt -> label-first CSV without header: Phone and charges dropped, categoricals
    one-hot encoded, 'True.' -> 1."""
    import pandas as pd

    frame = pd.read_csv(path).drop(columns=CHURN_DROPPED)
    frame["Area Code"] = frame["Area Code"].astype(str)
    label = (frame.pop("Churn?") == "True.").astype(int)
    features = pd.get_dummies(frame, columns=CHURN_CATEGORICAL, dtype=int)
    table = pd.concat([label.rename("label"), features], axis=1)
    return table.to_csv(header=False, index=False).strip().splitlines()


def abalone_split() -> Split:
    return split_70_20_10(abalone_libsvm((samples_dir() / "abalone.data").read_text()))


def churn_split() -> Split:
    return split_70_20_10(churn_csv(samples_dir() / "churn.txt"))
