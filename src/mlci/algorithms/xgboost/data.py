"""Training channels -> labels, weights and features, as the container reads them.

A channel is a file or a directory (read recursively, files in sorted order; names starting
with `_`, such as Spark's `_SUCCESS`, are skipped; hidden files are refused, as the container
does). CSV data has the label in the first column, an instance weight in the second when the
`csv_weights` hyperparameter is 1, and no header row. Every problem is an `AlgorithmError`
naming the channel, the file and the line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from mlci.algorithms.errors import AlgorithmError
from mlci.algorithms.xgboost import csv_parsing, libsvm_parsing

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix


@dataclass(frozen=True)
class Dataset:
    features: np.ndarray | csr_matrix  # dense: NaN = missing; sparse: absent = missing
    labels: np.ndarray
    weights: np.ndarray | None
    n_rows: int
    n_columns: int
    delimiter: str | None  # CSV only, for the container's "Determined delimiter" log line


@dataclass(frozen=True)
class _Part:
    """One file's worth of rows; kept apart until every file of the channel has been read."""

    labels: np.ndarray
    weights: np.ndarray | None
    csv: np.ndarray | None
    libsvm: libsvm_parsing.LibsvmRows | None
    n_columns: int
    delimiter: str | None


def data_files(channel: str, path: Path) -> list[Path]:
    if not path.exists():
        raise AlgorithmError(f"{path} is not a valid path! ({channel} channel)")
    if path.is_file():
        return [path]
    files = []
    for candidate in sorted(path.rglob("*")):
        relative = candidate.relative_to(path)
        if any(part.startswith(".") for part in relative.parts):
            raise AlgorithmError(
                f"Hidden file found in the data path! Remove that before training. "
                f"({channel} channel: {relative})"
            )
        if candidate.is_file() and not any(p.startswith("_") for p in relative.parts):
            files.append(candidate)
    return files


def read_channel(
    channel: str, path: Path, data_format: Literal["csv", "libsvm"], csv_weights: bool = False
) -> Dataset | None:
    """The channel's data, or None when it holds no data at all (no files, or empty files)."""
    parts = []
    for file in data_files(channel, path):
        where = _Where(channel, file.relative_to(path) if file != path else Path(file.name))
        data = csv_parsing.normalise(file.read_bytes())
        if not data.strip():
            continue
        if data_format == "csv":
            parts.append(_read_csv(data, where, csv_weights))
        else:
            parts.append(_read_libsvm(data, where))
    if not parts:
        return None
    return _combine(channel, parts)


@dataclass(frozen=True)
class _Where:
    channel: str
    file: Path

    def at(self, line: int) -> str:
        return f"{self.channel} channel, file '{self.file}', line {line}"


def _read_csv(data: bytes, where: _Where, csv_weights: bool) -> _Part:
    delimiter = csv_parsing.detect_delimiter(data.split(b"\n", 1)[0])
    try:
        table = csv_parsing.parse(data, delimiter)
    except csv_parsing.CsvProblem as problem:
        if problem.header:
            raise AlgorithmError(
                f"CSV training data must not have a header row: line 1 of file '{where.file}' "
                f"in the {where.channel} channel is {problem.text}. Remove the header line; "
                "the first column must be the label and every field a number."
            ) from None
        raise AlgorithmError(
            f"Invalid CSV data ({where.at(problem.line)}): {problem.detail}"
        ) from None
    first_feature = 2 if csv_weights else 1
    if table.shape[1] <= first_feature:
        what = "a label and a weight" if csv_weights else "a label"
        raise AlgorithmError(
            f"Invalid CSV data ({where.at(1)}): a row needs {what} followed by at least one "
            f"feature, but it has {table.shape[1]} field(s)"
        )
    labels = table[:, 0]
    _check_finite(labels, "label", where, "CSV")
    weights = table[:, 1] if csv_weights else None
    if weights is not None:
        _check_finite(weights, "instance weight (csv_weights=1)", where, "CSV")
    features = table[:, first_feature:]
    return _Part(labels, weights, features, None, features.shape[1], delimiter)


def _check_finite(
    column: np.ndarray, what: str, where: _Where, kind: str, lines: np.ndarray | None = None
) -> None:
    """Labels and weights must be numbers; xgboost would refuse them without saying where."""
    bad = np.flatnonzero(~np.isfinite(column) | ((column < 0) if "weight" in what else False))
    if bad.size:
        line = int(lines[bad[0]]) if lines is not None else int(bad[0]) + 1
        problem = "missing, not finite or negative" if "weight" in what else "missing or not finite"
        raise AlgorithmError(f"Invalid {kind} data ({where.at(line)}): the {what} is {problem}")


def _read_libsvm(data: bytes, where: _Where) -> _Part:
    try:
        rows = libsvm_parsing.parse(data, labelled=True)
    except libsvm_parsing.LibsvmProblem as problem:
        raise AlgorithmError(
            f"Invalid LIBSVM data ({where.at(problem.line)}): {problem.detail}"
        ) from None
    _check_finite(rows.labels, "label", where, "LIBSVM", rows.lines)
    if rows.weights is not None:
        _check_finite(rows.weights, "instance weight", where, "LIBSVM", rows.lines)
    return _Part(rows.labels, rows.weights, None, rows, rows.n_columns, None)


def _combine(channel: str, parts: list[_Part]) -> Dataset:
    labels = np.concatenate([p.labels for p in parts])
    given = [p.weights for p in parts if p.weights is not None]
    if given and len(given) != len(parts):
        raise AlgorithmError(f"Some files of the {channel} channel give instance weights, some not")
    weight_column = np.concatenate(given) if given else None
    width = max(p.n_columns for p in parts)
    if parts[0].csv is not None:
        widths = {p.n_columns for p in parts}
        if len(widths) > 1:
            raise AlgorithmError(
                f"The files of the {channel} channel have different numbers of columns: "
                f"{sorted(widths)}"
            )
        features = np.concatenate([p.csv for p in parts if p.csv is not None])
    else:
        features = _stack_libsvm([p.libsvm for p in parts if p.libsvm is not None], width)
    return Dataset(features, labels, weight_column, len(labels), width, parts[0].delimiter)


def _stack_libsvm(blocks: list[libsvm_parsing.LibsvmRows], width: int) -> np.ndarray | csr_matrix:
    if len(blocks) == 1:
        return blocks[0].matrix(width)
    offsets = np.cumsum([0] + [b.n_rows for b in blocks[:-1]])
    merged = libsvm_parsing.LibsvmRows(
        labels=np.concatenate([b.labels for b in blocks]),
        weights=None,
        rows=np.concatenate([b.rows + off for b, off in zip(blocks, offsets, strict=True)]),
        columns=np.concatenate([b.columns for b in blocks]),
        values=np.concatenate([b.values for b in blocks]),
        n_rows=sum(b.n_rows for b in blocks),
        lines=np.concatenate([b.lines for b in blocks]),
    )
    return merged.matrix(width)


def widen(dataset: Dataset, n_columns: int) -> Dataset:
    """Give a libsvm dataset more (missing) columns, so train and validation line up."""
    if dataset.n_columns >= n_columns:
        return dataset
    features = dataset.features
    if isinstance(features, np.ndarray):
        pad = np.full((dataset.n_rows, n_columns - dataset.n_columns), np.nan, np.float32)
        features = np.hstack([features, pad])
    else:
        features = features.copy()
        features.resize((dataset.n_rows, n_columns))
    return Dataset(
        features, dataset.labels, dataset.weights, dataset.n_rows, n_columns, dataset.delimiter
    )
