"""Evaluation metrics: which names the container accepts, and the ones it computes itself.

`eval_metric` takes XGBoost's own metrics (computed by xgboost) and a few the SageMaker
container adds on top (accuracy, f1, mse, r2, ...), computed here with numpy the way the
container computes them: class predictions are `round(p)` for one output and `argmax` for
several. Names whose larger value is better decide the direction of early stopping.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

MAXIMIZE = (
    "accuracy", "auc", "aucpr", "balanced_accuracy", "f1", "f1_binary", "f1_macro", "map",
    "ndcg", "precision", "r2", "recall", "precision_macro", "precision_micro", "recall_macro",
    "recall_micro",
)  # fmt: skip
MINIMIZE = (
    "aft-nloglik", "cox-nloglik", "error", "gamma-deviance", "gamma-nloglik",
    "interval-regression-accuracy", "logloss", "mae", "mape", "merror", "mlogloss", "mphe",
    "mse", "poisson-nloglik", "rmse", "rmsle", "tweedie-nloglik",
)  # fmt: skip
THRESHOLD_METRICS = ("error", "ndcg", "map")
# What a tuning job may name as its objective metric ("validation:auc", ...).
TUNING_METRIC_NAMES = tuple(f"validation:{name}" for name in (*MAXIMIZE, *MINIMIZE))


def eval_metric_problem(metric: str) -> str | None:
    """Why one `eval_metric` item is not accepted, or None when it is."""
    if "<function" in metric:
        return f"User defined evaluation metric {metric} is not supported yet."
    if "@" in metric:
        name, _, threshold = metric.partition("@")
        if name.strip() not in THRESHOLD_METRICS:
            return (
                f"Metric '{metric}' is not supported. Parameter 'eval_metric' with customized "
                "threshold should be one of these options: 'error', 'ndcg', 'map'."
            )
        try:
            float(threshold.strip())
        except ValueError:
            return f"Threshold value 't' in '{name.strip()}@t' expects float input."
        return None
    if metric not in MAXIMIZE and metric not in MINIMIZE:
        return f"value {metric!r} not in range {sorted((*MAXIMIZE, *MINIMIZE))}"
    return None


def objective_problem(metric_names: Sequence[str], objective: str) -> str | None:
    """Metrics that make no sense for the objective, in the container's words."""
    if "auc" in metric_names and not objective.startswith(("binary:", "rank:")):
        return "Metric 'auc' can only be applied for classification and ranking problems."
    if "aft-nloglik" in metric_names and objective != "survival:aft":
        return "Metric 'aft-nloglik' can only be applied for 'survival:aft' objective."
    return None


def maximize(metric: str) -> bool:
    return metric.split("@", 1)[0] in MAXIMIZE


def _classes(predictions: np.ndarray) -> np.ndarray:
    if predictions.ndim == 2:
        return np.argmax(predictions, axis=1)
    return np.round(predictions)


def _confusion(labels: np.ndarray, predicted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-class (true positives, predicted count, actual count) over the union of classes."""
    classes = np.union1d(labels, predicted)
    true_pos = np.array([np.sum((predicted == c) & (labels == c)) for c in classes], float)
    predicted_n = np.array([np.sum(predicted == c) for c in classes], float)
    actual_n = np.array([np.sum(labels == c) for c in classes], float)
    return classes, np.stack([true_pos, predicted_n, actual_n])


def _ratio(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    return np.divide(top, bottom, out=np.zeros_like(top), where=bottom > 0)


def _per_class_scores(labels: np.ndarray, predictions: np.ndarray) -> dict[str, np.ndarray]:
    classes, (true_pos, predicted_n, actual_n) = _confusion(labels, _classes(predictions))
    precision = _ratio(true_pos, predicted_n)
    recall = _ratio(true_pos, actual_n)
    f1 = _ratio(2 * precision * recall, precision + recall)
    return {"classes": classes, "precision": precision, "recall": recall, "f1": f1}


def _positive(scores: dict[str, np.ndarray], key: str) -> float:
    matches = np.flatnonzero(scores["classes"] == 1)
    return float(scores[key][matches[0]]) if matches.size else 0.0


def _accuracy(labels: np.ndarray, predictions: np.ndarray) -> float:
    return float(np.mean(_classes(predictions) == labels))


def _mse(labels: np.ndarray, predictions: np.ndarray) -> float:
    return float(np.mean((labels - predictions.reshape(labels.shape)) ** 2))


def _r2(labels: np.ndarray, predictions: np.ndarray) -> float:
    total = float(np.sum((labels - labels.mean()) ** 2))
    residual = float(np.sum((labels - predictions.reshape(labels.shape)) ** 2))
    return 1.0 - residual / total if total > 0 else 0.0


def _from_scores(key: str, how: str) -> Callable[[np.ndarray, np.ndarray], float]:
    def compute(labels: np.ndarray, predictions: np.ndarray) -> float:
        scores = _per_class_scores(labels, predictions)
        if how == "binary":
            return _positive(scores, key)
        return float(np.mean(scores[key]))

    return compute


CUSTOM: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "accuracy": _accuracy,
    "mse": _mse,
    "r2": _r2,
    "f1": _from_scores("f1", "macro"),
    "f1_macro": _from_scores("f1", "macro"),
    "f1_binary": _from_scores("f1", "binary"),
    "precision": _from_scores("precision", "binary"),
    "precision_macro": _from_scores("precision", "macro"),
    "recall": _from_scores("recall", "binary"),
    "recall_macro": _from_scores("recall", "macro"),
    "balanced_accuracy": _from_scores("recall", "macro"),
    # With one label per row, micro-averaged precision and recall both equal accuracy.
    "precision_micro": _accuracy,
    "recall_micro": _accuracy,
}


def is_custom(metric: str) -> bool:
    return metric in CUSTOM


def compute_custom(
    names: Sequence[str], labels: np.ndarray, predictions: np.ndarray
) -> list[tuple[str, float]]:
    """The container-defined metrics, in the order asked for."""
    return [(name, CUSTOM[name](labels, predictions)) for name in names]
