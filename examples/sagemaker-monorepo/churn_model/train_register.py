"""Train the churn classifier with SageMaker's XGBoost and register it for review.

Run from the repository root: python -m churn_model.train_register
"""

from __future__ import annotations

from pathlib import Path

from common.errors import run_step
from common.steps import train_and_register

FOLDER = Path(__file__).resolve().parent

# As in SageMaker's churn example: shallow trees, some regularisation, AUC on validation.
HYPERPARAMETERS = {
    "objective": "binary:logistic",
    "eval_metric": "auc",
    "max_depth": 5,
    "eta": 0.2,
    "gamma": 4,
    "min_child_weight": 6,
    "subsample": 0.8,
    "verbosity": 1,
    "num_round": 100,
}


def main() -> None:
    train_and_register(FOLDER, HYPERPARAMETERS, problem="binary_classification")


if __name__ == "__main__":
    run_step(main)
