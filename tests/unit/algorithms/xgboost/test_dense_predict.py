"""The direct dense prediction path gives exactly what `inplace_predict` gives."""

from __future__ import annotations

import numpy as np
import pytest
import xgboost

from mlci.algorithms.errors import ModelError
from mlci.algorithms.xgboost.dense_predict import dense_predictor
from mlci.algorithms.xgboost.inference import Predictor


def _booster(objective: str, labels: np.ndarray, **extra: object) -> xgboost.Booster:
    rng = np.random.default_rng(3)
    features = rng.random((300, 6)).astype(np.float32)
    params = {"objective": objective, "max_depth": 4, "nthread": 1, "seed": 0, **extra}
    return xgboost.train(params, xgboost.DMatrix(features, label=labels), 15)


@pytest.mark.parametrize(
    ("objective", "labels", "extra"),
    [
        ("reg:squarederror", np.arange(300) % 17, {}),
        ("binary:logistic", np.arange(300) % 2, {}),
        ("multi:softprob", np.arange(300) % 3, {"num_class": 3}),
    ],
)
def test_same_predictions_as_inplace_predict(
    objective: str, labels: np.ndarray, extra: dict[str, object]
) -> None:
    booster = _booster(objective, labels.astype(np.float32), **extra)
    predict = dense_predictor(booster)
    assert predict is not None
    rows = np.random.default_rng(5).random((257, 6)).astype(np.float32)
    rows[::9, 2] = np.nan  # missing values take the default branch in both
    for batch in (rows[:1], rows):
        expected = booster.inplace_predict(batch, missing=np.nan)
        got = predict(np.ascontiguousarray(batch))
        assert got.shape == expected.shape
        assert np.array_equal(got, expected)


def test_answers_do_not_change_when_the_next_prediction_reuses_the_buffer() -> None:
    booster = _booster("reg:squarederror", (np.arange(300) % 5).astype(np.float32))
    predict = dense_predictor(booster)
    assert predict is not None
    first = predict(np.zeros((4, 6), np.float32))
    kept = first.copy()
    predict(np.ones((4, 6), np.float32))
    assert np.array_equal(first, kept)


def test_the_predictor_uses_it_for_dense_rows_and_inplace_predict_otherwise() -> None:
    from scipy.sparse import csr_matrix

    booster = _booster("reg:squarederror", (np.arange(300) % 5).astype(np.float32))
    predictor = Predictor(booster)
    dense = np.random.default_rng(1).random((10, 6)).astype(np.float32)
    assert np.array_equal(predictor.predict(dense), booster.inplace_predict(dense))
    sparse = csr_matrix(dense)
    assert np.array_equal(predictor.predict(sparse), booster.inplace_predict(sparse))
    narrow = np.ascontiguousarray(dense[:, :4])  # wrong width: refused as before
    with pytest.raises(ModelError, match="Unable to evaluate payload provided"):
        predictor.predict(narrow)


def test_threads_predicting_at_once_get_their_own_answers() -> None:
    from concurrent.futures import ThreadPoolExecutor

    booster = _booster("reg:squarederror", (np.arange(300) % 7).astype(np.float32))
    predict = dense_predictor(booster)
    assert predict is not None
    batches = [np.random.default_rng(seed).random((50, 6)).astype(np.float32) for seed in range(8)]
    expected = [booster.inplace_predict(batch) for batch in batches]
    with ThreadPoolExecutor(4) as pool:
        for _ in range(20):
            answers = list(pool.map(predict, batches))
            assert all(np.array_equal(a, e) for a, e in zip(answers, expected, strict=True))
