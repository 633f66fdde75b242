from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mlci.algorithms.errors import AlgorithmError
from mlci.algorithms.xgboost.data import read_channel, widen


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_csv_label_first_features_after(tmp_path: Path) -> None:
    write(tmp_path / "train" / "a.csv", "1,0.5,2\n0,1.5,3\n")

    dataset = read_channel("train", tmp_path / "train", "csv")

    assert dataset is not None
    np.testing.assert_array_equal(dataset.labels, [1, 0])
    np.testing.assert_array_equal(dataset.features, [[0.5, 2], [1.5, 3]])
    assert (dataset.n_rows, dataset.n_columns, dataset.delimiter) == (2, 2, ",")
    assert dataset.weights is None


def test_csv_weights_are_the_second_column(tmp_path: Path) -> None:
    write(tmp_path / "t.csv", "1,0.25,7\n0,2,8\n")

    dataset = read_channel("train", tmp_path / "t.csv", "csv", csv_weights=True)

    assert dataset is not None
    np.testing.assert_array_equal(dataset.weights, [0.25, 2])
    np.testing.assert_array_equal(dataset.features, [[7], [8]])


def test_a_channel_reads_every_file_in_sorted_order_and_skips_underscored(tmp_path: Path) -> None:
    write(tmp_path / "ch" / "b.csv", "2,20\n")
    write(tmp_path / "ch" / "a.csv", "1,10\n")
    write(tmp_path / "ch" / "nested" / "c.csv", "3,30\n")
    write(tmp_path / "ch" / "_SUCCESS", "")
    write(tmp_path / "ch" / "_meta" / "x.csv", "not,data\n")
    write(tmp_path / "ch" / "empty.csv", "\n")

    dataset = read_channel("train", tmp_path / "ch", "csv")

    assert dataset is not None
    np.testing.assert_array_equal(dataset.labels, [1, 2, 3])


def test_libsvm_channel_files_are_stacked(tmp_path: Path) -> None:
    write(tmp_path / "ch" / "a", "1 1:1\n")
    write(tmp_path / "ch" / "b", "0 3:2\n")

    dataset = read_channel("validation", tmp_path / "ch", "libsvm")

    assert dataset is not None
    assert dataset.n_columns == 4 and dataset.delimiter is None
    assert isinstance(dataset.features, np.ndarray)
    assert dataset.features[1, 3] == 2 and np.isnan(dataset.features[0, 3])


def test_widen_adds_missing_columns(tmp_path: Path) -> None:
    write(tmp_path / "a", "1 1:1\n")
    dataset = read_channel("train", tmp_path / "a", "libsvm")
    assert dataset is not None

    wider = widen(dataset, 5)

    assert wider.n_columns == 5
    assert isinstance(wider.features, np.ndarray)
    assert wider.features.shape == (1, 5) and np.isnan(wider.features[0, 4])
    assert widen(wider, 3) is wider


def test_widen_keeps_sparse_data_sparse() -> None:
    from scipy.sparse import csr_matrix

    from mlci.algorithms.xgboost.data import Dataset

    sparse = csr_matrix((np.array([1.0, 2.0]), (np.array([0, 1]), np.array([0, 2]))), shape=(2, 3))
    dataset = Dataset(sparse, np.zeros(2, np.float32), None, 2, 3, None)

    wider = widen(dataset, 6)

    assert wider.features.shape == (2, 6) and wider.features.nnz == 2
    assert sparse.shape == (2, 3)  # the original is untouched


def test_an_empty_channel_is_none(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    write(tmp_path / "blank" / "x.csv", "\n\n")

    assert read_channel("train", tmp_path / "empty", "csv") is None
    assert read_channel("train", tmp_path / "blank", "csv") is None


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"t.csv": "Rings,Length\n15,0.455\n"},
         r"^CSV training data must not have a header row: line 1 of file 't\.csv' in the train "
         r"channel is 'Rings,Length'\. Remove the header line; the first column must be the "
         r"label and every field a number\.$"),
        ({"t.csv": "1,2,3\n4,5\n"},
         r"^Invalid CSV data \(train channel, file 't\.csv', line 2\): has 2 fields but line 1 "
         r"has 3: '4,5'$"),
        ({"t.csv": "1,2\n3,four\n"},
         r"^Invalid CSV data \(train channel, file 't\.csv', line 2\): 'four' is not a number"),
        ({"t.csv": "1\n2\n"}, r"line 1\): a row needs a label followed by at least one feature, "
                              r"but it has 1 field\(s\)"),
        ({"t.csv": "1,2\n,3\n"}, r"line 2\): the label is missing or not finite"),
        ({"a.csv": "1,2\n", "b.csv": "1,2,3\n"},
         r"The files of the train channel have different numbers of columns: \[1, 2\]"),
        ({"t": "1 1:1\n0 1:x\n"},
         r"^Invalid LIBSVM data \(train channel, file 't', line 2\): '1:x' is not "),
        ({".hidden": "1,2\n"}, r"Hidden file found in the data path! Remove that before "
                               r"training\. \(train channel: \.hidden\)"),
    ],
)  # fmt: skip
def test_channel_problems_name_file_and_line(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    for name, text in files.items():
        write(tmp_path / "train" / name, text)
    data_format = "libsvm" if "t" in files else "csv"

    with pytest.raises(AlgorithmError, match=message):
        read_channel("train", tmp_path / "train", data_format)


def test_csv_weight_column_must_be_numbers(tmp_path: Path) -> None:
    write(tmp_path / "t.csv", "1,,2\n")

    with pytest.raises(AlgorithmError, match=r"the instance weight \(csv_weights=1\) is missing"):
        read_channel("train", tmp_path / "t.csv", "csv", csv_weights=True)


def test_csv_weights_must_not_be_negative(tmp_path: Path) -> None:
    write(tmp_path / "t.csv", "1,0.5,2\n0,-1,3\n")

    with pytest.raises(
        AlgorithmError,
        match=r"line 2\): the instance weight \(csv_weights=1\) "
        r"is missing, not finite or negative$",
    ):
        read_channel("train", tmp_path / "t.csv", "csv", csv_weights=True)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1 1:1\n\nnan 1:2\n", r"file 't', line 3\): the label is missing or not finite$"),
        (
            "1:1 1:1\n0:-2 1:2\n",
            r"line 2\): the instance weight is missing, not finite or negative$",
        ),
    ],
)
def test_libsvm_labels_and_weights_must_be_numbers(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path / "t", text)

    with pytest.raises(AlgorithmError, match=message):
        read_channel("train", tmp_path / "t", "libsvm")


def test_csv_weights_need_a_feature_too(tmp_path: Path) -> None:
    write(tmp_path / "t.csv", "1,2\n")

    with pytest.raises(AlgorithmError, match=r"a row needs a label and a weight followed by"):
        read_channel("train", tmp_path / "t.csv", "csv", csv_weights=True)


def test_libsvm_weights_must_be_given_by_every_file_or_none(tmp_path: Path) -> None:
    write(tmp_path / "ch" / "a", "1:2 1:1\n")
    write(tmp_path / "ch" / "b", "0 1:1\n")

    with pytest.raises(AlgorithmError, match=r"Some files of the train channel give instance"):
        read_channel("train", tmp_path / "ch", "libsvm")


def test_a_missing_channel_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(AlgorithmError, match=r"is not a valid path! \(validation channel\)"):
        read_channel("validation", tmp_path / "nowhere", "csv")
