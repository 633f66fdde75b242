from __future__ import annotations

import io
import json
import pickle
import tarfile
from pathlib import Path

import numpy as np
import pytest
import xgboost

from mlci.algorithms.errors import ModelError, ModelLoadError
from mlci.algorithms.xgboost.inference import Predictor

from .sample_data import abalone_split

ROWS = np.array([[0.1, 0.2, 0.3, 0.4], [0.9, 0.8, 0.7, 0.6], [0.5, 0.5, 0.5, 0.5]], np.float32)
CSV_BODY = b"0.1,0.2,0.3,0.4\n0.9,0.8,0.7,0.6\n0.5,0.5,0.5,0.5\n"


@pytest.fixture(scope="module")
def predictor(regression_model: Path) -> Predictor:
    return Predictor.load(regression_model)


def expected(predictor: Predictor, rows: np.ndarray = ROWS) -> list[float]:
    return predictor.booster.inplace_predict(rows).tolist()  # type: ignore[no-any-return]


def csv_values(body: bytes) -> list[float]:
    return [float(v) for v in body.decode().splitlines()]


def test_csv_in_csv_out(predictor: Predictor) -> None:
    body, content_type = predictor.invoke(CSV_BODY, "text/csv", "text/csv")

    assert content_type == "text/csv; charset=utf-8"
    assert body == "".join(f"{v!r}\n" for v in expected(predictor)).encode()


def test_no_accept_means_csv(predictor: Predictor) -> None:
    assert predictor.invoke(CSV_BODY, "text/csv", None) == predictor.invoke(
        CSV_BODY, "text/csv", "*/*"
    )
    assert predictor.invoke(CSV_BODY, "text/csv", None)[1].startswith("text/csv")


def test_json_and_jsonlines_responses(predictor: Predictor) -> None:
    body, content_type = predictor.invoke(CSV_BODY, "text/csv", "application/json")
    lines, lines_type = predictor.invoke(CSV_BODY, "text/csv", "application/jsonlines")

    scores = [{"score": v} for v in expected(predictor)]
    assert content_type == "application/json"
    assert json.loads(body) == {"predictions": scores}
    assert lines_type == "application/jsonlines"
    assert [json.loads(line) for line in lines.decode().splitlines()] == scores


def test_libsvm_requests(predictor: Predictor) -> None:
    body = b"9 0:0.1 1:0.2 2:0.3 3:0.4\n0:0.9 1:0.8 2:0.7 3:0.6\n0:0.5 1:0.5 2:0.5 3:0.5"

    answer, _ = predictor.invoke(body, "text/libsvm", "text/csv")

    assert csv_values(answer) == pytest.approx(expected(predictor))


def test_libsvm_absent_entries_are_missing(predictor: Predictor) -> None:
    answer, _ = predictor.invoke(b"0:0.1 2:0.3", "text/x-libsvm", "text/csv")

    row = np.array([[0.1, np.nan, 0.3, np.nan]], np.float32)
    assert csv_values(answer) == pytest.approx(expected(predictor, row))


@pytest.mark.parametrize(
    "document",
    [
        {"instances": ROWS.tolist()},
        {"instances": [{"features": r} for r in ROWS.tolist()]},
        {"instances": [{"data": {"features": {"values": r}}} for r in ROWS.tolist()]},
        ROWS.tolist(),
    ],
)
def test_json_request_shapes(predictor: Predictor, document: object) -> None:
    answer, _ = predictor.invoke(json.dumps(document).encode(), "application/json", "text/csv")

    assert csv_values(answer) == pytest.approx(expected(predictor))


@pytest.mark.parametrize("document", [ROWS[0].tolist(), {"features": ROWS[0].tolist()}])
def test_json_single_row_shapes(predictor: Predictor, document: object) -> None:
    answer, _ = predictor.invoke(json.dumps(document).encode(), "application/json", "text/csv")

    assert csv_values(answer) == pytest.approx(expected(predictor, ROWS[:1]))


def test_json_nulls_are_missing_values(predictor: Predictor) -> None:
    answer, _ = predictor.invoke(b"[[0.1, null, 0.3, 0.4]]", "application/json", None)

    row = np.array([[0.1, np.nan, 0.3, 0.4]], np.float32)
    assert csv_values(answer) == pytest.approx(expected(predictor, row))


def test_one_column_fewer_is_accepted_as_the_container_does(predictor: Predictor) -> None:
    answer, _ = predictor.invoke(b"0.1,0.2,0.3", "text/csv", "text/csv")

    row = np.array([[0.1, 0.2, 0.3, np.nan]], np.float32)
    assert csv_values(answer) == pytest.approx(expected(predictor, row))


def test_missing_csv_fields_are_missing_values(predictor: Predictor) -> None:
    answer, _ = predictor.invoke(b"0.1,,0.3,0.4\r\n", "text/csv", "text/csv")

    row = np.array([[0.1, np.nan, 0.3, 0.4]], np.float32)
    assert csv_values(answer) == pytest.approx(expected(predictor, row))


@pytest.mark.parametrize(
    ("body", "content_type", "accept", "status", "message"),
    [
        (b"", "text/csv", None, 400, r"^The request body is empty: send one record per line"),
        (b" \n\n", "text/csv", None, 400, r"^The request body is empty"),
        (b"1,2,3,4,5,6", "text/csv", None, 400,
         r"^Unable to evaluate payload provided: Feature size of csv inference data 6 is not "
         r"consistent with feature size of trained model 4 \(row 1 has 6 values; send 4 "
         r"features per row, without the label\)$"),
        (b"1,2", "text/csv", None, 400, r"Feature size of csv inference data 2 is not consistent"),
        (b"1,2,3,4\n1,2,3\n", "text/csv", None, 415,
         r"^Loading csv data failed with Exception, please ensure data is in csv format: row 2: "
         r"has 3 fields but line 1 has 4: '1,2,3'$"),
        (b"1,2,3,4\n1,2,x,4", "text/csv", None, 415, r"csv format: row 2: 'x' is not a number"),
        (b"1,2,3,4\n\n1,2,3,4", "text/csv", None, 415, r"row 2: the line is empty"),
        (b"0:1 7:2", "text/libsvm", None, 400,
         r"^Unable to evaluate payload provided: Feature size of libsvm inference data 8 is "
         r"larger than feature size of trained model 4 \(row 1 uses feature index 7\)$"),
        (b"0:1\n0:x", "text/libsvm", None, 415,
         r"^Loading libsvm data failed with Exception, please ensure data is in libsvm format: "
         r"row 2: '0:x' is not <index>:<value>"),
        (b"[1, 2", "application/json", None, 415,
         r"^Loading json data failed with Exception, please ensure data is in json format: the "
         r"body is not JSON"),
        (b"[[1, 2, 3, 4], [1, 2]]", "application/json", None, 415,
         r"json format: row 2 has 2 values but row 1 has 4$"),
        (b'[[1, 2, 3, "four"]]', "application/json", None, 415,
         r"row 1 has a value that is not a number$"),
        (b'{"instances": 5}', "application/json", None, 415, r'"instances" must be a list$'),
        (b'{"instances": []}', "application/json", None, 415, r"there are no instances$"),
        (b'{"instances": [{"rows": []}]}', "application/json", None, 415,
         r'row 1 is not a list of numbers, \{"features": \[\.\.\.\]\} or'),
        (b'"text"', "application/json", None, 415, r'expected a list of rows or an object'),
        (b"1,2,3,4", "application/x-recordio-protobuf", None, 415,
         r"application/x-recordio-protobuf is an accepted ContentType of SageMaker XGBoost, "
         r"not of mlci"),
        (b"1,2,3,4", "image/png", None, 415,
         r"^image/png is not an accepted ContentType: csv, libsvm, parquet"),
        (b"1,2,3,4", "text/csv", "text/html", 406,
         r"^Accept type text/html is not supported\. Please use supported accept types"),
    ],
)  # fmt: skip
def test_bad_requests_are_model_errors(
    predictor: Predictor, body: bytes, content_type: str, accept: str | None, status: int,
    message: str,
) -> None:  # fmt: skip
    with pytest.raises(ModelError, match=message) as caught:
        predictor.invoke(body, content_type, accept)
    assert caught.value.status == status


def test_xgboost_refusing_a_matrix_is_a_model_error(predictor: Predictor) -> None:
    with pytest.raises(ModelError, match=r"^Unable to evaluate payload provided: .*mismatch") as e:
        predictor.predict(np.ones((1, 9), np.float32))
    assert e.value.status == 400


def test_load_from_model_file_and_model_tar_gz(regression_model: Path, tmp_path: Path) -> None:
    archive = tmp_path / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(regression_model / "xgboost-model", arcname="xgboost-model")

    from_dir = Predictor.load(regression_model).invoke(CSV_BODY, "text/csv", None)
    from_file = Predictor.load(regression_model / "xgboost-model").invoke(
        CSV_BODY, "text/csv", None
    )
    from_tar = Predictor.load(str(archive)).invoke(CSV_BODY, "text/csv", None)

    assert from_dir == from_file == from_tar


def test_a_single_file_with_another_name_is_the_model(
    regression_model: Path, tmp_path: Path
) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "model.ubj").write_bytes((regression_model / "xgboost-model").read_bytes())

    assert Predictor.load(tmp_path).num_features == 4


def test_an_xgboost_json_model_loads(tmp_path: Path) -> None:
    booster = xgboost.train({}, xgboost.DMatrix(ROWS, label=[1, 2, 3]), num_boost_round=2)
    (tmp_path / "xgboost-model").write_bytes(bytes(booster.save_raw(raw_format="json")))

    assert Predictor.load(tmp_path).num_features == 4


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"a.bin": b"1", "b.bin": b"2"},
         r"^Unable to load model: no xgboost-model file in the model directory \(it holds "
         r"a\.bin, b\.bin\)$"),
        ({}, r"no xgboost-model file in the model directory \(it holds no files\)"),
        ({"xgboost-model": pickle.dumps({"booster": 1})},
         r"^Unable to load model: xgboost-model is a pickled Python object; mlci loads only "
         r"XGBoost's own model format \(Booster\.save_model\) and never unpickles$"),
        ({"xgboost-model": b"{not a model"}, r"^Unable to load model: xgboost-model is not an "
                                             r"XGBoost model: "),
    ],
)  # fmt: skip
def test_unloadable_models(tmp_path: Path, files: dict[str, bytes], message: str) -> None:
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)

    with pytest.raises(ModelLoadError, match=message) as caught:
        Predictor.load(tmp_path)
    assert caught.value.status == 500


def test_a_missing_model_path(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match=r"is neither a model directory nor a model archive"):
        Predictor.load(tmp_path / "absent")


def test_an_archive_with_a_bad_member_does_not_load(tmp_path: Path) -> None:
    archive = tmp_path / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("../xgboost-model")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))

    with pytest.raises(ModelLoadError, match=r"points outside the archive"):
        Predictor.load(archive)


def test_abalone_model_serves_libsvm_test_rows(trainer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from mlci.algorithms.xgboost.spec import ChannelSpec

    split = abalone_split()
    paths = split.write(tmp_path / "abalone", "abalone")
    result = trainer.run(
        {"num_round": "30", "max_depth": "5", "eta": "0.2"},
        {"train": ChannelSpec(str(paths["train"]), "text/libsvm")},
    )
    predictor = Predictor.load(str(result.model_path))

    body = "\n".join(split.test).encode()
    answer, _ = predictor.invoke(body, "text/libsvm", "text/csv")

    rings = np.array([float(line.split()[0]) for line in split.test])
    rmse = float(np.sqrt(np.mean((np.array(csv_values(answer)) - rings) ** 2)))
    assert predictor.num_features == 9 and len(csv_values(answer)) == len(split.test)
    assert rmse < 2.6
