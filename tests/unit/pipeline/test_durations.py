"""CircleCI durations in Go's syntax."""

from __future__ import annotations

import pytest

from mlci.pipeline.durations import DurationError, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("20m", 1200), ("1.25h", 4500), ("5s", 5), ("1h30m", 5400), ("500ms", 0.5), ("0", 0),
     (" 10m ", 600), ("2m30.5s", 150.5), (".5s", 0.5)],
)  # fmt: skip
def test_parse(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "10", "ten minutes", "5x", "m", "1h 30m", "-5s"])
def test_refused(text: str) -> None:
    with pytest.raises(DurationError, match="is not a duration: a number with a unit"):
        parse_duration(text)


def test_format_as_circleci_prints_timeouts() -> None:
    assert [format_duration(s) for s in (600, 3600, 5, 0.5, 90)] == [
        "10m0s",
        "1h0m0s",
        "5s",
        "0.5s",
        "1m30s",
    ]
