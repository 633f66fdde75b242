"""Numeric CSV (no header) -> a float32 matrix, fast, with errors that point at the line.

The happy path is one call into numpy's C parser (`np.loadtxt`), so a 10,000-row request costs
milliseconds. Only when numpy refuses the text does Python walk the lines, to say exactly which
line and field is wrong. Empty fields are missing values (NaN), as in the container; blank lines,
rows with a different number of fields and non-numeric fields are errors.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np

# Tried in this order on the first line; comma when none of them occurs.
DELIMITERS = (",", "\t", "|", ";", " ")


class CsvProblem(ValueError):
    """What is wrong: `line` is 1-based, `text` the offending line (quoted, maybe shortened).

    `header` marks a non-numeric first line, which in training data is almost always a header.
    """

    def __init__(self, line: int, detail: str, text: str = "", header: bool = False) -> None:
        super().__init__(f"line {line}: {detail}")
        self.line = line
        self.detail = detail
        self.text = text
        self.header = header


def normalise(data: bytes) -> bytes:
    """Unix newlines, no trailing newline; the caller decides what empty means."""
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return data.rstrip(b"\n")


def detect_delimiter(first_line: bytes) -> str:
    text = first_line.decode("utf-8", "replace")
    return next((d for d in DELIMITERS if d in text.strip()), ",")


def parse(data: bytes, delimiter: str | None = None) -> np.ndarray:
    """Parse normalised, non-empty CSV bytes; raise CsvProblem naming the first bad line.

    numpy is tried first on the bytes as they are: scanning the buffer for empty fields or
    blank lines beforehand would cost as much as the parse. Empty fields make numpy fail (then
    they are filled with NaN and parsed again); blank lines numpy skips, which shows as fewer
    rows than lines.
    """
    delimiter = delimiter or detect_delimiter(data.split(b"\n", 1)[0])
    try:
        table = _loadtxt(data, delimiter)
    except ValueError:
        filled = _fill_missing(data, delimiter.encode()) if delimiter != " " else data
        try:
            table = _loadtxt(filled, delimiter)
        except ValueError:
            raise _diagnose(filled, delimiter) from None
    if table.shape[0] != data.count(b"\n") + 1:
        raise CsvProblem(_first_blank_line(data), "the line is empty")
    return table


def _loadtxt(data: bytes, delimiter: str) -> np.ndarray:
    return np.loadtxt(
        io.BytesIO(data),
        delimiter=None if delimiter == " " else delimiter,
        dtype=np.float32,
        comments=None,
        ndmin=2,
    )


def _first_blank_line(data: bytes) -> int:
    lines = data.split(b"\n")
    return next(i for i, line in enumerate(lines, 1) if not line.strip())


def _fill_missing(data: bytes, sep: bytes) -> bytes:
    """An empty field is a missing value: write it as nan."""
    doubled, nan = sep + sep, b"nan"
    while doubled in data:
        data = data.replace(doubled, sep + nan + sep)
    data = data.replace(b"\n" + sep, b"\n" + nan + sep).replace(sep + b"\n", sep + nan + b"\n")
    if data.startswith(sep):
        data = nan + data
    if data.endswith(sep):
        data = data + nan
    return data


def _diagnose(data: bytes, delimiter: str) -> CsvProblem:
    """Find the first line numpy could not take; only runs when parsing already failed."""
    split: Callable[[str], list[str]] = (
        (lambda s: s.split()) if delimiter == " " else (lambda s: s.split(delimiter))
    )
    expected: int | None = None
    for number, raw in enumerate(data.split(b"\n"), 1):
        line = raw.decode("utf-8", "replace")
        fields = split(line)
        bad = next((f for f in fields if not _is_number(f)), None)
        if bad is not None:
            return CsvProblem(
                number,
                f"{bad.strip()!r} is not a number in {_snippet(line)}",
                text=_snippet(line),
                header=number == 1,
            )
        if expected is None:
            expected = len(fields)
        elif len(fields) != expected:
            return CsvProblem(
                number,
                f"has {len(fields)} fields but line 1 has {expected}: {_snippet(line)}",
                text=_snippet(line),
            )
    # Python's float() is more lenient than numpy (it takes "1_000", for instance).
    return CsvProblem(1, "the values are not plain decimal numbers that numpy can parse")


def _is_number(field: str) -> bool:
    try:
        float(field)
    except ValueError:
        return False
    return True


def _snippet(line: str, limit: int = 120) -> str:
    return repr(line if len(line) <= limit else line[:limit] + "...")
