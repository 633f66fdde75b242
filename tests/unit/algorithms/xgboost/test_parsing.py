from __future__ import annotations

import numpy as np
import pytest

from mlci.algorithms.xgboost import csv_parsing, libsvm_parsing


def test_csv_parses_to_float32_rows() -> None:
    table = csv_parsing.parse(b"1,2.5,-3e2\n4,5,6")

    assert table.dtype == np.float32
    np.testing.assert_array_equal(table, [[1, 2.5, -300], [4, 5, 6]])


def test_csv_trailing_empty_field_at_the_very_end() -> None:
    table = csv_parsing.parse(b"1,2,")

    assert table.shape == (1, 3) and np.isnan(table[0, 2])


def test_csv_numbers_python_takes_but_numpy_does_not() -> None:
    with pytest.raises(csv_parsing.CsvProblem, match=r"not plain decimal numbers that numpy"):
        csv_parsing.parse(b"1_000,2")


def test_csv_single_value_is_one_row_one_column() -> None:
    assert csv_parsing.parse(b"5").shape == (1, 1)


def test_csv_empty_fields_are_missing_values() -> None:
    table = csv_parsing.parse(b",1,,2\n3,,4,\n5,6,7,8")

    np.testing.assert_array_equal(np.isnan(table[:2]), [[1, 0, 1, 0], [0, 1, 0, 1]])
    np.testing.assert_array_equal(table[2], [5, 6, 7, 8])


@pytest.mark.parametrize(
    ("text", "delimiter", "row"),
    [
        (b"1\t2\t3", "\t", [1, 2, 3]),
        (b"1;2;3", ";", [1, 2, 3]),
        (b"1|2|3", "|", [1, 2, 3]),
        (b"1 2   3", " ", [1, 2, 3]),
    ],
)
def test_csv_delimiter_is_detected_from_the_first_line(
    text: bytes, delimiter: str, row: list[float]
) -> None:
    assert csv_parsing.detect_delimiter(text) == delimiter
    np.testing.assert_array_equal(csv_parsing.parse(text)[0], row)


def test_normalise_handles_windows_and_old_mac_newlines() -> None:
    assert csv_parsing.normalise(b"1,2\r\n3,4\r\n\n") == b"1,2\n3,4"
    assert csv_parsing.normalise(b"1,2\r3,4") == b"1,2\n3,4"


@pytest.mark.parametrize(
    ("text", "line", "detail", "header"),
    [
        (b"a,b\n1,2", 1, r"'a' is not a number in 'a,b'", True),
        (b"1,2\n3,x\n5,6", 2, r"'x' is not a number in '3,x'", False),
        (b"1,2\n3\n5,6", 2, r"has 1 fields but line 1 has 2: '3'", False),
        (b"1,2\n3,4,5", 2, r"has 3 fields but line 1 has 2", False),
        (b"1,2\n\n5,6", 2, r"the line is empty", False),
        (b"\n1,2", 1, r"the line is empty", False),
        (b'"1",2', 1, r"""'"1"' is not a number""", True),
    ],
)
def test_csv_problems_point_at_the_line(text: bytes, line: int, detail: str, header: bool) -> None:
    with pytest.raises(csv_parsing.CsvProblem, match=detail) as caught:
        csv_parsing.parse(text)
    assert caught.value.line == line
    assert caught.value.header is header


def test_csv_problem_shortens_long_lines() -> None:
    with pytest.raises(csv_parsing.CsvProblem, match=r"\.\.\.'$"):
        csv_parsing.parse(b"x," + b"1," * 200 + b"1")


def test_libsvm_training_lines() -> None:
    rows = libsvm_parsing.parse(b"1 1:0.5 3:2\n\n0 2:1\n", labelled=True)

    np.testing.assert_array_equal(rows.labels, [1, 0])
    assert rows.weights is None and rows.n_rows == 2 and rows.n_columns == 4
    dense = rows.matrix()
    assert np.isnan(dense[0, 0]) and dense[0, 1] == 0.5 and dense[0, 3] == 2
    assert np.isnan(dense[1, 1]) and dense[1, 2] == 1


def test_libsvm_instance_weights() -> None:
    rows = libsvm_parsing.parse(b"1:0.5 1:1\n0:2 1:3", labelled=True)

    np.testing.assert_array_equal(rows.weights, [0.5, 2])


def test_libsvm_inference_ignores_labels_and_keeps_blank_rows() -> None:
    rows = libsvm_parsing.parse(b"7 0:1\n\n1:2", labelled=False)

    assert rows.n_rows == 3
    assert rows.labels.size == 0
    np.testing.assert_array_equal(rows.rows, [0, 2])


def test_libsvm_becomes_sparse_above_the_dense_limit() -> None:
    rows = libsvm_parsing.parse(b"1 0:1 999:2\n0 5:3", labelled=True)

    sparse = rows.matrix(dense_cell_limit=100)

    assert sparse.shape == (2, 1000)
    assert sparse.nnz == 3 and sparse[0, 999] == 2


@pytest.mark.parametrize(
    ("text", "line", "detail"),
    [
        (b"1 1:1\nyes 1:2", 2, r"'yes' is not a label \(<label> or <label>:<weight>\)"),
        (b"1 1:1\n0 2", 2, r"'2' is not <index>:<value> \(index >= 0\)"),
        (b"1 a:1", 1, r"'a:1' is not <index>:<value>"),
        (b"1 -1:1", 1, r"'-1:1' is not <index>:<value>"),
        (b"1 1:x", 1, r"'1:x' is not <index>:<value>"),
        (b"1 qid:3 1:1", 1, r"qid \(ranking groups\) is not supported by mlci"),
        (b"1:1 1:1\n0 1:2", 1, r"some lines give an instance weight"),
    ],
)
def test_libsvm_problems_point_at_the_line(text: bytes, line: int, detail: str) -> None:
    with pytest.raises(libsvm_parsing.LibsvmProblem, match=detail) as caught:
        libsvm_parsing.parse(text, labelled=True)
    assert caught.value.line == line
