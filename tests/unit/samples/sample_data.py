"""Small stand-in datasets with their own digests; the real ones when MLCI_SAMPLES_DIR is set."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from mlci.samples import Dataset

ABALONE_ROWS = (
    b"M,0.455,0.365,0.095,0.514,0.2245,0.101,0.15,15\n"
    b"F,0.53,0.42,0.135,0.677,0.2565,0.1415,0.21,9\n"
    b"I,0.33,0.255,0.08,0.205,0.0895,0.0395,0.055,7\n"
)
CHURN_TEXT = b"State,Phone,Churn?\nPA,403-2562,True.\nSC,158-8416,False.\n"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def small_datasets(origin: str = "http://127.0.0.1:9/") -> tuple[Dataset, Dataset]:
    """ABALONE and CHURN as declared, but for the small files above (and a given origin)."""
    return (
        Dataset("abalone", "abalone.data", digest(ABALONE_ROWS), origin + "abalone.data"),
        Dataset("churn", "churn.txt", digest(CHURN_TEXT), origin + "churn.txt", normalise=True),
    )


def real_samples_dir() -> Path:
    value = os.environ.get("MLCI_SAMPLES_DIR")
    if not value:
        pytest.skip("MLCI_SAMPLES_DIR is not set (CI sets it to the folder with the datasets)")
    return Path(value)
