from __future__ import annotations

import json

import numpy as np

from mlci.algorithms.xgboost.encoding import encode

ONE_OUTPUT = np.array([0.43861907720565796, 2.5, -1.0], dtype=np.float32)
TWO_OUTPUTS = np.array([[0.25, 0.75], [0.5, 0.5]], dtype=np.float32)


def test_csv_one_prediction_per_line_with_trailing_newline() -> None:
    # float32 0.43861908 widened to a double, as the container's preds.tolist() does.
    assert encode(ONE_OUTPUT, "text/csv") == (
        b"0.43861907720565796\n2.5\n-1.0\n",
        "text/csv; charset=utf-8",
    )


def test_csv_several_outputs_per_row_are_comma_separated() -> None:
    assert encode(TWO_OUTPUTS, "text/csv")[0] == b"0.25,0.75\n0.5,0.5\n"


def test_csv_of_nothing_is_empty() -> None:
    assert encode(np.array([], np.float32), "text/csv")[0] == b""


def test_json_predictions_scores() -> None:
    body, content_type = encode(ONE_OUTPUT, "application/json")

    assert content_type == "application/json"
    assert body == (
        b'{"predictions": [{"score": 0.43861907720565796}, {"score": 2.5}, {"score": -1.0}]}'
    )
    assert body == json.dumps({"predictions": [{"score": v} for v in ONE_OUTPUT.tolist()]}).encode()


def test_json_several_outputs_and_non_finite_values() -> None:
    assert json.loads(encode(TWO_OUTPUTS, "application/json")[0]) == {
        "predictions": [{"score": [0.25, 0.75]}, {"score": [0.5, 0.5]}]
    }
    assert encode(np.array([np.nan], np.float32), "application/json")[0] == (
        b'{"predictions": [{"score": NaN}]}'
    )


def test_jsonlines_one_object_per_line() -> None:
    body, content_type = encode(ONE_OUTPUT[:2], "application/jsonlines")

    assert content_type == "application/jsonlines"
    assert body == b'{"score": 0.43861907720565796}\n{"score": 2.5}\n'
