"""Inference request bodies -> a float32 feature matrix the model's width, or a ModelError.

Errors carry the container's HTTP status and wording: a body that does not parse is 415
("Loading csv data failed with Exception, please ensure data is in csv format: ..."), a body of
the wrong width is 400 ("Unable to evaluate payload provided: Feature size of csv inference
data 7 is not consistent with feature size of trained model 8."). Like the container, a dense
body may have one column fewer than the model (the model's extra column is then missing): a
model trained on 1-based LIBSVM indices has an unused column 0 and takes the natural CSV width.

`application/json` is an mlci extension (the real container answers it with 415 "application/
json is not an accepted ContentType ..."). It accepts the SageMaker common inference shapes:
`{"instances": [[...], ...]}`, `{"instances": [{"features": [...]}, ...]}`,
`{"instances": [{"data": {"features": {"values": [...]}}}]}`, `{"features": [...]}`, a list
of rows, or one row as a flat list of numbers.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

from mlci.algorithms.errors import ModelError
from mlci.algorithms.xgboost import csv_parsing, libsvm_parsing
from mlci.algorithms.xgboost.content_types import DataFormat

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

Features: TypeAlias = "np.ndarray | csr_matrix"

EMPTY_BODY = (
    "The request body is empty: send one record per line (text/csv: the feature values "
    "separated by commas, without the label)"
)


def features(body: bytes, data_format: DataFormat, num_features: int) -> Features:
    if not body.strip():
        raise ModelError(EMPTY_BODY, status=400)
    if data_format == "libsvm":
        return _libsvm(body, num_features)
    matrix = _csv(body) if data_format == "csv" else _json(body)
    return _fit_width(matrix, num_features, data_format)


def _csv(body: bytes) -> np.ndarray:
    data = csv_parsing.normalise(body.strip())
    try:
        return csv_parsing.parse(data)
    except csv_parsing.CsvProblem as problem:
        raise ModelError(
            "Loading csv data failed with Exception, please ensure data is in csv format: "
            f"row {problem.line}: {problem.detail}",
            status=415,
        ) from None


def _libsvm(body: bytes, num_features: int) -> Features:
    try:
        rows = libsvm_parsing.parse(csv_parsing.normalise(body.strip()), labelled=False)
    except libsvm_parsing.LibsvmProblem as problem:
        raise ModelError(
            "Loading libsvm data failed with Exception, please ensure data is in libsvm format: "
            f"row {problem.line}: {problem.detail}",
            status=415,
        ) from None
    if rows.n_columns > num_features:
        row = int(rows.rows[np.argmax(rows.columns)]) + 1
        raise ModelError(
            "Unable to evaluate payload provided: Feature size of libsvm inference data "
            f"{rows.n_columns} is larger than feature size of trained model {num_features} "
            f"(row {row} uses feature index {rows.n_columns - 1})",
            status=400,
        )
    return rows.matrix(num_features)


def _json(body: bytes) -> np.ndarray:
    try:
        document = json.loads(body)
    except ValueError as error:
        raise _json_problem(f"the body is not JSON: {error}") from None
    rows = _json_rows(document)
    if not rows:
        raise _json_problem("there are no instances")
    width = len(rows[0])
    for number, row in enumerate(rows, 1):
        if len(row) != width:
            raise _json_problem(f"row {number} has {len(row)} values but row 1 has {width}")
    try:
        return np.asarray(rows, dtype=np.float32).reshape(len(rows), width)
    except (TypeError, ValueError):
        number = next(i for i, row in enumerate(rows, 1) if not _numeric(row))
        raise _json_problem(f"row {number} has a value that is not a number") from None


def _json_rows(document: Any) -> list[list[Any]]:
    if isinstance(document, dict) and "instances" in document:
        instances = document["instances"]
        if not isinstance(instances, list):
            raise _json_problem('"instances" must be a list')
        return [_json_instance(item, number) for number, item in enumerate(instances, 1)]
    if isinstance(document, dict):
        return [_json_instance(document, 1)]
    if isinstance(document, list) and document and not isinstance(document[0], list | dict):
        return [document]
    if isinstance(document, list):
        return [_json_instance(item, number) for number, item in enumerate(document, 1)]
    raise _json_problem('expected a list of rows or an object with "instances"')


def _json_instance(item: Any, number: int) -> list[Any]:
    if isinstance(item, dict):
        values = item.get("features")
        if values is None and isinstance(item.get("data"), dict):
            values = (item["data"].get("features") or {}).get("values")
        item = values
    if not isinstance(item, list):
        raise _json_problem(
            f'row {number} is not a list of numbers, {{"features": [...]}} or '
            '{"data": {"features": {"values": [...]}}}'
        )
    return item


def _numeric(row: list[Any]) -> bool:
    return all(v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in row)


def _json_problem(detail: str) -> ModelError:
    return ModelError(
        "Loading json data failed with Exception, please ensure data is in json format: " + detail,
        status=415,
    )


def _fit_width(matrix: np.ndarray, num_features: int, data_format: DataFormat) -> np.ndarray:
    width = matrix.shape[1]
    if width == num_features:
        return matrix
    if width == num_features - 1:
        missing = np.full((matrix.shape[0], 1), np.nan, dtype=np.float32)
        return np.hstack([matrix, missing])
    raise ModelError(
        f"Unable to evaluate payload provided: Feature size of {data_format} inference data "
        f"{width} is not consistent with feature size of trained model {num_features} "
        f"(row 1 has {width} values; send {num_features} features per row, without the label)",
        status=400,
    )
