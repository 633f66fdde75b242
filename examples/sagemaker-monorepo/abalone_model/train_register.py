"""Train the abalone regressor with SageMaker's XGBoost and register it for review.

Run from the repository root: python -m abalone_model.train_register
"""

from __future__ import annotations

from pathlib import Path

from common.errors import run_step
from common.steps import train_and_register

FOLDER = Path(__file__).resolve().parent

# The article's hyperparameters, with `reg:linear` under its current name (XGBoost deprecated
# the alias; the objective is the same) and the validation metric named, so it is registered.
HYPERPARAMETERS = {
    "objective": "reg:squarederror",
    "eval_metric": "rmse",
    "max_depth": 5,
    "eta": 0.2,
    "gamma": 4,
    "min_child_weight": 6,
    "subsample": 0.7,
    "verbosity": 2,
    "num_round": 50,
}


def main() -> None:
    train_and_register(FOLDER, HYPERPARAMETERS, problem="regression")


if __name__ == "__main__":
    run_step(main)
