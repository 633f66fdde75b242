"""A trained SageMaker XGBoost model, answering `/invocations` bodies like the container.

    predictor = Predictor.load(model_dir_or_model_tar_gz)
    body, content_type = predictor.invoke(b"0.455,0.365,...", "text/csv", "text/csv")

The model is `xgboost-model` in XGBoost's own format (JSON or UBJSON, as mlci's training
writes it), loaded with `Booster.load_model`; pickled boosters, which SageMaker's own training
produced up to image 1.5, are refused rather than unpickled. Request parsing is in `requests`,
response bytes in `encoding`; every refusal is a `ModelError` carrying the container's status.
Prediction uses `inplace_predict` (for dense rows the same C call without its Python overhead,
see `dense_predict`) with one thread by default (the container also pins its
boosters to one thread; run more serving processes for more throughput).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
import xgboost

from mlci.algorithms.errors import ModelError, ModelLoadError
from mlci.algorithms.xgboost import content_types, encoding, model_archive, requests
from mlci.algorithms.xgboost.dense_predict import dense_predictor
from mlci.algorithms.xgboost.spec import MODEL_NAME


class Predictor:
    def __init__(self, booster: xgboost.Booster, nthread: int = 1) -> None:
        booster.set_param({"nthread": nthread})
        self.booster = booster
        self.num_features = booster.num_features()
        self._dense = dense_predictor(booster)

    @classmethod
    def load(cls, model: Path | str, nthread: int = 1) -> Predictor:
        """Load from an extracted model directory, a model file, or a model.tar.gz."""
        path = Path(model)
        if model_archive.is_archive(path):
            scratch = Path(tempfile.mkdtemp(prefix="mlci-model-"))
            try:
                model_archive.extract(path, scratch)
                return cls(_load_booster(_model_file(scratch)), nthread)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
        return cls(_load_booster(_model_file(path)), nthread)

    def invoke(
        self, body: bytes, content_type: str | None, accept: str | None
    ) -> tuple[bytes, str]:
        """Answer one request: (response body, response Content-Type), or raise ModelError."""
        data_format = content_types.request_format(content_type)
        response_format = content_types.response_format(accept)
        matrix = requests.features(body, data_format, self.num_features)
        return encoding.encode(self.predict(matrix), response_format)

    def predict(self, matrix: requests.Features) -> np.ndarray:
        try:
            if self._dense is not None and _dense_float32(matrix, self.num_features):
                return self._dense(matrix)  # type: ignore[arg-type]
            return np.asarray(self.booster.inplace_predict(matrix, missing=np.nan))
        except (xgboost.core.XGBoostError, ValueError) as error:  # ValueError: shape checks
            detail = str(error).split("Stack trace:", 1)[0].strip()
            raise ModelError(f"Unable to evaluate payload provided: {detail}", 400) from None


def _dense_float32(matrix: requests.Features, width: int) -> bool:
    return (
        isinstance(matrix, np.ndarray)
        and matrix.dtype == np.float32
        and matrix.ndim == 2
        and matrix.shape[1] == width
        and matrix.flags.c_contiguous
    )


def _model_file(path: Path) -> Path:
    if path.is_file():
        return path
    if not path.is_dir():
        raise ModelLoadError(f"{path} is neither a model directory nor a model archive")
    named = path / MODEL_NAME
    if named.is_file():
        return named
    files = [p for p in path.rglob("*") if p.is_file()]
    if len(files) == 1:
        return files[0]
    listing = ", ".join(sorted(str(f.relative_to(path)) for f in files)) or "no files"
    raise ModelLoadError(f"no {MODEL_NAME} file in the model directory (it holds {listing})")


def _load_booster(file: Path) -> xgboost.Booster:
    with file.open("rb") as opened:
        head = opened.read(1)
    if head == b"\x80":
        raise ModelLoadError(
            f"{file.name} is a pickled Python object; mlci loads only XGBoost's own model "
            "format (Booster.save_model) and never unpickles"
        )
    booster = xgboost.Booster()
    try:
        booster.load_model(bytearray(file.read_bytes()))
    except xgboost.core.XGBoostError as error:
        detail = str(error).split("Stack trace:", 1)[0].strip()
        raise ModelLoadError(f"{file.name} is not an XGBoost model: {detail}") from None
    return booster
