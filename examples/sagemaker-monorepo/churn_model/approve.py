"""Approve the churn package that this workflow trained (runs after the CircleCI approval).

Run from the repository root: python -m churn_model.approve
"""

from __future__ import annotations

from pathlib import Path

from common.errors import run_step
from common.steps import approve_trained

FOLDER = Path(__file__).resolve().parent


def main() -> None:
    approve_trained(FOLDER)


if __name__ == "__main__":
    run_step(main)
