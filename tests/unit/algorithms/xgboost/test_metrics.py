from __future__ import annotations

import numpy as np
import pytest

from mlci.algorithms.xgboost import metrics

LABELS = np.array([1, 0, 1, 1, 0, 0], dtype=np.float32)
PROBABILITIES = np.array([0.9, 0.2, 0.4, 0.7, 0.6, 0.1], dtype=np.float32)
# predicted classes: 1 0 0 1 1 0 -> TP=2 FP=1 FN=1 TN=2


def compute(
    name: str, labels: np.ndarray = LABELS, predictions: np.ndarray = PROBABILITIES
) -> float:
    return metrics.compute_custom([name], labels, predictions)[0][1]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("accuracy", 4 / 6),
        ("precision", 2 / 3),
        ("recall", 2 / 3),
        ("f1_binary", 2 / 3),
        ("f1", 2 / 3),  # both classes have f1 2/3
        ("balanced_accuracy", 2 / 3),
        ("precision_micro", 4 / 6),
        ("mse", float(np.mean((LABELS - PROBABILITIES) ** 2))),
    ],
)
def test_binary_metrics(name: str, value: float) -> None:
    assert compute(name) == pytest.approx(value)


def test_multiclass_uses_argmax() -> None:
    labels = np.array([0, 1, 2, 2], dtype=np.float32)
    probabilities = np.array(
        [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7], [0.6, 0.3, 0.1]], np.float32
    )

    assert compute("accuracy", labels, probabilities) == pytest.approx(0.75)
    # class 0: p=1/2 r=1 f1=2/3; class 1: f1=1; class 2: p=1 r=1/2 f1=2/3
    assert compute("f1_macro", labels, probabilities) == pytest.approx((2 / 3 + 1 + 2 / 3) / 3)
    assert compute("recall_macro", labels, probabilities) == pytest.approx((1 + 1 + 0.5) / 3)
    assert compute("precision_macro", labels, probabilities) == pytest.approx((0.5 + 1 + 1) / 3)


def test_r2() -> None:
    labels = np.array([1.0, 2.0, 3.0])
    assert compute("r2", labels, labels) == 1.0
    assert compute("r2", labels, np.full(3, 2.0)) == 0.0
    assert compute("r2", np.ones(3), np.ones(3)) == 0.0


def test_binary_scores_without_a_positive_class() -> None:
    zeros = np.zeros(3, dtype=np.float32)
    assert compute("precision", zeros, zeros) == 0.0


def test_direction_for_early_stopping() -> None:
    assert metrics.maximize("auc") and metrics.maximize("ndcg@5") and metrics.maximize("accuracy")
    assert not metrics.maximize("rmse") and not metrics.maximize("error@0.3")
