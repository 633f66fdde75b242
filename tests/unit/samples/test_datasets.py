"""Checksum verification, including churn's line-ending normalisation."""

from __future__ import annotations

import pytest

from mlci.samples import ABALONE, CHURN, ChecksumMismatch
from mlci.samples.datasets import normalise_line_endings, verified
from tests.unit.samples.sample_data import CHURN_TEXT, real_samples_dir, small_datasets


def test_published_files_verify() -> None:
    folder = real_samples_dir()
    for dataset in (ABALONE, CHURN):
        data = (folder / dataset.file_name).read_bytes()
        assert verified(dataset, data, "here") == data


def test_corrupt_file_names_file_expected_and_actual_digest() -> None:
    folder = real_samples_dir()
    data = bytearray((folder / "abalone.data").read_bytes())
    data[100] ^= 1
    with pytest.raises(
        ChecksumMismatch,
        match=rf"abalone.data from disk has SHA-256 [0-9a-f]{{64}}, expected {ABALONE.sha256}",
    ) as info:
        verified(ABALONE, bytes(data), "disk")
    assert info.value.actual != ABALONE.sha256


def test_churn_with_crlf_and_no_final_newline_verifies_as_published() -> None:
    published = (real_samples_dir() / "churn.txt").read_bytes()
    upstream_form = published.rstrip(b"\n").replace(b"\n", b"\r\n")
    assert verified(CHURN, upstream_form, "origin") == published


def test_abalone_is_not_normalised() -> None:
    abalone, churn = small_datasets()
    crlf = CHURN_TEXT.replace(b"\n", b"\r\n")
    assert verified(churn, crlf, "x") == CHURN_TEXT
    with pytest.raises(ChecksumMismatch, match=r"abalone\.data from x"):
        verified(abalone, crlf, "x")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"a\r\nb\r\n", b"a\nb\n"),
        (b"a\r\nb", b"a\nb\n"),
        (b"a\rb", b"a\nb\n"),
        (b"a\nb\n", b"a\nb\n"),
    ],
)
def test_normalise_line_endings(raw: bytes, expected: bytes) -> None:
    assert normalise_line_endings(raw) == expected
