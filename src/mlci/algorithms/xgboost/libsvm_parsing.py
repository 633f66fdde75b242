"""LIBSVM text -> labels and a feature matrix, with errors that point at the line.

Training lines are `<label>[:<weight>] <index>:<value> ...`. Indices are used as written, as
XGBoost and the SageMaker container read them: index i is column i, so a file with the usual
1-based indices gives the model an unused column 0 (exactly as on SageMaker). Absent entries are
missing values, not zeros. Inference bodies may omit the label; as in the container, any token
without a colon is ignored there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

# Matrices up to this many cells are dense (NaN = missing); larger ones become scipy CSR.
DENSE_CELL_LIMIT = 50_000_000


class LibsvmProblem(ValueError):
    """What is wrong: `line` is 1-based."""

    def __init__(self, line: int, detail: str) -> None:
        super().__init__(f"line {line}: {detail}")
        self.line = line
        self.detail = detail


@dataclass(frozen=True)
class LibsvmRows:
    labels: np.ndarray  # float32, one per row (empty for unlabelled inference rows)
    weights: np.ndarray | None  # float32 when every labelled row gave `label:weight`
    rows: np.ndarray  # int64 row of each stored entry
    columns: np.ndarray  # int64 column of each stored entry
    values: np.ndarray  # float32 value of each stored entry
    n_rows: int
    lines: np.ndarray  # int64 1-based line each row came from (blank lines have no row)

    @property
    def n_columns(self) -> int:
        return int(self.columns.max()) + 1 if self.columns.size else 0

    def matrix(
        self, n_columns: int | None = None, dense_cell_limit: int = DENSE_CELL_LIMIT
    ) -> np.ndarray | csr_matrix:
        """The features, `n_columns` wide (default: up to the largest index seen)."""
        width = max(n_columns or 0, self.n_columns)
        if self.n_rows * width <= dense_cell_limit:
            dense = np.full((self.n_rows, width), np.nan, dtype=np.float32)
            dense[self.rows, self.columns] = self.values
            return dense
        from scipy.sparse import csr_matrix  # xgboost depends on scipy already

        return csr_matrix((self.values, (self.rows, self.columns)), shape=(self.n_rows, width))


def parse(data: bytes, labelled: bool) -> LibsvmRows:
    """Parse LIBSVM bytes. Training (`labelled`) skips blank lines; inference keeps them as
    rows with no features, as the container does."""
    labels: list[float] = []
    weights: list[float] = []
    rows: list[int] = []
    columns: list[int] = []
    values: list[float] = []
    lines: list[int] = []
    row = 0
    for number, raw in enumerate(data.split(b"\n"), 1):
        tokens = raw.split()
        if labelled:
            if not tokens:
                continue
            label, weight = _label(tokens[0], number)
            labels.append(label)
            if weight is not None:
                weights.append(weight)
            features = tokens[1:]
        else:
            features = [t for t in tokens if b":" in t]
        for token in features:
            column, value = _entry(token, number)
            rows.append(row)
            columns.append(column)
            values.append(value)
        lines.append(number)
        row += 1
    if weights and len(weights) != len(labels):
        raise LibsvmProblem(1, "some lines give an instance weight (label:weight) and some do not")
    return LibsvmRows(
        labels=np.asarray(labels, dtype=np.float32),
        weights=np.asarray(weights, dtype=np.float32) if weights else None,
        rows=np.asarray(rows, dtype=np.int64),
        columns=np.asarray(columns, dtype=np.int64),
        values=np.asarray(values, dtype=np.float32),
        n_rows=row,
        lines=np.asarray(lines, dtype=np.int64),
    )


def _label(token: bytes, line: int) -> tuple[float, float | None]:
    label, _, weight = token.partition(b":")
    try:
        return float(label), float(weight) if weight else None
    except ValueError:
        raise LibsvmProblem(
            line, f"{token.decode(errors='replace')!r} is not a label (<label> or <label>:<weight>)"
        ) from None


def _entry(token: bytes, line: int) -> tuple[int, float]:
    index, colon, value = token.partition(b":")
    if index == b"qid":
        raise LibsvmProblem(line, "qid (ranking groups) is not supported by mlci")
    try:
        column = int(index)
        number = float(value)
    except ValueError:
        column = -1
        number = 0.0
    if not colon or column < 0:
        raise LibsvmProblem(
            line, f"{token.decode(errors='replace')!r} is not <index>:<value> (index >= 0)"
        )
    return column, number
