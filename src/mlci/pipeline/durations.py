"""CircleCI durations (`no_output_timeout: 20m`): Go's duration syntax, e.g. 1h30m, 1.25h, 5s."""

from __future__ import annotations

import re

DEFAULT_NO_OUTPUT_TIMEOUT = 600.0  # CircleCI's default: 10 minutes

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


class DurationError(ValueError):
    pass


def parse_duration(text: str) -> float:
    """Seconds in `text`; DurationError says what is wrong."""
    value = text.strip()
    if value == "0":
        return 0.0
    total, position = 0.0, 0
    for match in _PART.finditer(value):
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    if not value or position != len(value):
        raise DurationError(
            f"{text!r} is not a duration: a number with a unit (ms, s, m, h), such as 20m,"
            " 1.25h or 1h30m"
        )
    return total


def format_duration(seconds: float) -> str:
    """As CircleCI prints a timeout: 10m0s, 1h0m0s, 5s."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{seconds:g}s"
