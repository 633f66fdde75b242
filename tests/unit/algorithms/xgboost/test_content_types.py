from __future__ import annotations

import pytest

from mlci.algorithms.errors import AlgorithmError, ModelError
from mlci.algorithms.xgboost import content_types


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, "libsvm"),
        ("", "libsvm"),
        ("libsvm", "libsvm"),
        ("text/libsvm", "libsvm"),
        ("text/x-libsvm", "libsvm"),
        ("csv", "csv"),
        ("text/csv", "csv"),
        ("Text/CSV", "csv"),
        ("text/csv; label_size=1", "csv"),
        ("text/csv;charset=utf-8", "csv"),
    ],
)
def test_training_content_types(given: str | None, expected: str) -> None:
    assert content_types.training_format(given) == expected


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("text/csv; label_size=2", r"text/csv; label_size=2 is not an accepted csv ContentType\. "
                                   r"Optional parameter label_size must be equal to 1"),
        ("application/json", r"application/json is not an accepted ContentType: csv, libsvm, "
                             r"parquet, recordio-protobuf, text/csv"),
        ("application/x-parquet", r"accepted ContentType of SageMaker XGBoost, not of mlci"),
    ],
)  # fmt: skip
def test_unsupported_training_content_types(given: str, message: str) -> None:
    with pytest.raises(AlgorithmError, match=message):
        content_types.training_format(given)


def test_request_formats_include_json() -> None:
    assert content_types.request_format("application/json; charset=utf-8") == "json"
    assert content_types.request_format("text/csv") == "csv"
    assert content_types.request_format("text/libsvm") == "libsvm"


@pytest.mark.parametrize("given", [None, "image/png"])
def test_unreadable_request_content_type_is_415(given: str | None) -> None:
    with pytest.raises(ModelError, match=r"is not an accepted ContentType") as caught:
        content_types.request_format(given)
    assert caught.value.status == 415


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "text/csv"),
        ("", "text/csv"),
        ("*/*", "text/csv"),
        ("application/json", "application/json"),
        ("application/jsonlines", "application/jsonlines"),
        ("text/html, application/json;q=0.9", "application/json"),
        ("TEXT/CSV; charset=utf-8", "text/csv"),
    ],
)
def test_accept_header(accept: str | None, expected: str) -> None:
    assert content_types.response_format(accept) == expected


def test_unsupported_accept_is_406() -> None:
    with pytest.raises(
        ModelError,
        match=r"Accept type text/html is not supported\. Please use "
        r"supported accept types: \['text/csv'",
    ) as caught:
        content_types.response_format("text/html")
    assert caught.value.status == 406


def test_media_type_parameters() -> None:
    assert content_types.media_type('Text/CSV; Label_Size="1"; x') == (
        "text/csv",
        {"label_size": "1", "x": ""},
    )
