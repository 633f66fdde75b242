"""abalone.data -> libsvm lines, and the deterministic train/validation/test split."""

from __future__ import annotations

import pytest

from mlci.samples import MalformedSample
from mlci.samples.abalone import abalone_to_libsvm, as_file, split
from tests.unit.samples.sample_data import ABALONE_ROWS, real_samples_dir


def test_known_rows_convert_exactly() -> None:
    assert abalone_to_libsvm(ABALONE_ROWS) == [
        "15 1:1 2:0.455 3:0.365 4:0.095 5:0.514 6:0.2245 7:0.101 8:0.15",
        "9 1:2 2:0.53 3:0.42 4:0.135 5:0.677 6:0.2565 7:0.1415 8:0.21",
        "7 1:3 2:0.33 3:0.255 4:0.08 5:0.205 6:0.0895 7:0.0395 8:0.055",
    ]


def test_crlf_and_blank_lines_are_tolerated() -> None:
    text = ABALONE_ROWS.replace(b"\n", b"\r\n") + b"\r\n"
    assert len(abalone_to_libsvm(text)) == 3


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (b"M,0.455,0.365,0.095,0.514,0.2245,0.101,15", r"line 2: expected 9 fields, got 8"),
        (
            b"X,0.455,0.365,0.095,0.514,0.2245,0.101,0.15,15",
            r"line 2: Sex must be M, F or I, got 'X'",
        ),
        (b"M,0.455,0.365,0.095,0.514,0.2245,0.101,0.15,1.5", r"line 2: Rings must be an integer"),
        (
            b"M,0.455,big,0.095,0.514,0.2245,0.101,0.15,15",
            r"line 2: measurement 'big' is not a number",
        ),
    ],
)
def test_malformed_rows_name_the_line(row: bytes, message: str) -> None:
    with pytest.raises(MalformedSample, match=message):
        abalone_to_libsvm(ABALONE_ROWS.split(b"\n")[0] + b"\n" + row + b"\n")


def test_split_sizes_cover_every_row_once() -> None:
    lines = [f"{i} 1:1" for i in range(4177)]
    parts = split(lines)
    assert [len(p) for p in parts] == [2923, 626, 628]
    assert sorted(parts.train + parts.validation + parts.test) == sorted(lines)


def test_split_is_deterministic_and_depends_on_the_seed() -> None:
    lines = [f"{i} 1:1" for i in range(100)]
    assert split(lines) == split(list(lines))
    assert split(lines, seed=1) != split(lines, seed=2)
    assert split(lines).train != lines[:70]  # shuffled, not cut in file order


def test_real_dataset_converts_and_splits() -> None:
    data = (real_samples_dir() / "abalone.data").read_bytes()
    lines = abalone_to_libsvm(data)
    assert lines[0] == "15 1:1 2:0.455 3:0.365 4:0.095 5:0.514 6:0.2245 7:0.101 8:0.15"
    parts = split(lines)
    assert [len(p) for p in parts] == [2923, 626, 628]
    assert as_file(parts.test).count(b"\n") == 628


def test_as_file_ends_every_line() -> None:
    assert as_file(["a", "b"]) == b"a\nb\n"
    assert as_file([]) == b""
