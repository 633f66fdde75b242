"""Predictions -> response bytes, byte for byte as the SageMaker XGBoost container writes them.

Images 1.5-1 to 1.7-1 serve single-model endpoints with the algorithm-mode Flask app, whose
responses are:

- `text/csv` (also what a missing Accept or `*/*` gets): one prediction per line, every line
  ending in a newline — `b"9.83\\n10.2\\n"` — as numpy's `savetxt(fmt="%s")` writes the values;
  a row of several outputs (`multi:softprob`) is comma-separated. (Before an April 2022 change
  the algorithm-mode server answered all predictions comma-separated on one line, and the
  multi-model server still does; clients written for that split on ",".)
- `application/json`: `{"predictions": [{"score": 9.83}, {"score": 10.2}]}`.
- `application/jsonlines`: the same entries, one JSON object per line.

Numbers are Python's shortest `repr` of the float32 prediction widened to a double (what
`preds.tolist()` produces in the container), e.g. `0.43861907720565796`.
"""

from __future__ import annotations

import json

import numpy as np

from mlci.algorithms.xgboost.content_types import ResponseFormat


def encode(predictions: np.ndarray, accept: ResponseFormat) -> tuple[bytes, str]:
    """The response body and its Content-Type (text types carry a charset, as Flask adds)."""
    values = predictions.tolist()
    if accept == "text/csv":
        return _csv(values), "text/csv; charset=utf-8"
    if accept == "application/json":
        return _json(values), "application/json"
    return _jsonlines(values), "application/jsonlines"


def _csv(values: list[float] | list[list[float]]) -> bytes:
    if not values:
        return b""
    if isinstance(values[0], list):
        lines = [",".join(map(repr, row)) for row in values]  # type: ignore[union-attr]
        lines.append("")
        return "\n".join(lines).encode()
    # repr() of the whole list formats every float in one C loop (30 % faster than one repr
    # call per value for 10,000 rows); a float's repr never contains ", ".
    return (repr(values)[1:-1].replace(", ", "\n") + "\n").encode()


def _all_finite(values: list[float] | list[list[float]]) -> bool:
    return bool(np.isfinite(np.asarray(values, dtype=np.float64)).all())


def _json(values: list[float] | list[list[float]]) -> bytes:
    if values and not isinstance(values[0], list) and _all_finite(values):
        # Same bytes as json.dumps, without building 10,000 dicts first.
        scores = ", ".join(f'{{"score": {v!r}}}' for v in values)
        return f'{{"predictions": [{scores}]}}'.encode()
    return json.dumps({"predictions": [{"score": v} for v in values]}).encode()


def _jsonlines(values: list[float] | list[list[float]]) -> bytes:
    return "".join(json.dumps({"score": v}) + "\n" for v in values).encode()
