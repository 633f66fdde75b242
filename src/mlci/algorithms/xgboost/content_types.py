"""Content types the XGBoost algorithm reads and writes, parsed the way the container does.

Training channels and inference requests are `text/csv` (also `csv`, and `text/csv;
label_size=1`) or `text/libsvm` (also `libsvm`, `text/x-libsvm`); a training channel without a
content type is libsvm. Inference additionally takes `application/json` — an mlci extension:
the real container answers it with 415 (see `inference`). Responses are `text/csv` (the default
for a missing Accept or `*/*`), `application/json` or `application/jsonlines`.
"""

from __future__ import annotations

from typing import Literal

from mlci.algorithms.errors import AlgorithmError, ModelError

DataFormat = Literal["csv", "libsvm", "json"]
ResponseFormat = Literal["text/csv", "application/json", "application/jsonlines"]

CSV_NAMES = ("csv", "text/csv")
LIBSVM_NAMES = ("libsvm", "text/libsvm", "text/x-libsvm")
CONTAINER_TYPES = (
    "csv, libsvm, parquet, recordio-protobuf, text/csv, text/libsvm, text/x-libsvm, "
    "application/x-parquet, application/x-recordio-protobuf"
)
NOT_IN_MLCI = ("parquet", "application/x-parquet", "recordio-protobuf",
               "application/x-recordio-protobuf")  # fmt: skip
RESPONSE_TYPES: tuple[ResponseFormat, ...] = ("text/csv", "application/json",
                                             "application/jsonlines")  # fmt: skip


def media_type(value: str) -> tuple[str, dict[str, str]]:
    """'text/csv; label_size=1' -> ('text/csv', {'label_size': '1'}), lower-cased."""
    kind, *raw_params = value.split(";")
    params: dict[str, str] = {}
    for raw in raw_params:
        key, _, val = raw.partition("=")
        if key.strip():
            params[key.strip().lower()] = val.strip().strip('"')
    return kind.strip().lower(), params


def _format_of(content_type: str) -> tuple[Literal["csv", "libsvm"] | None, str]:
    """('csv' or 'libsvm', '') or (None, why the content type is not accepted)."""
    kind, params = media_type(content_type)
    if kind in LIBSVM_NAMES:
        return "libsvm", ""
    if kind in CSV_NAMES:
        if params.get("label_size", "1") != "1":
            return None, (
                f"{content_type} is not an accepted csv ContentType. "
                "Optional parameter label_size must be equal to 1"
            )
        return "csv", ""
    if kind in NOT_IN_MLCI:
        return None, f"{content_type} is an accepted ContentType of SageMaker XGBoost, not of mlci"
    return None, f"{content_type} is not an accepted ContentType: {CONTAINER_TYPES}."


def training_format(content_type: str | None) -> Literal["csv", "libsvm"]:
    """The format of a training channel; no content type means libsvm, as in the container."""
    if content_type is None or not content_type.strip():
        return "libsvm"
    found, problem = _format_of(content_type)
    if found is None:
        raise AlgorithmError(problem)
    return found


def request_format(content_type: str | None) -> DataFormat:
    """The format of an inference request body; problems are the container's 415 answers."""
    if content_type is not None and media_type(content_type)[0] == "application/json":
        return "json"
    found, problem = _format_of(content_type or "")
    if found is None:
        raise ModelError(problem, status=415)
    return found


def response_format(accept: str | None) -> ResponseFormat:
    """The response encoding for an Accept header: text/csv unless something else is asked."""
    kinds = [media_type(part)[0] for part in (accept or "").split(",") if part.strip()]
    if not kinds or "*/*" in kinds:
        return "text/csv"
    for kind in kinds:
        for supported in RESPONSE_TYPES:
            if kind == supported:
                return supported
    raise ModelError(
        f"Accept type {accept} is not supported. Please use supported accept types: "
        f"{list(RESPONSE_TYPES)}.",
        status=406,
    )
