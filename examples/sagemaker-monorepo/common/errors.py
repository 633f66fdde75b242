"""One exception type for expected failures, and the entry point that reports them."""

from __future__ import annotations

import sys
from collections.abc import Callable


class StepFailed(Exception):
    """An expected failure of a pipeline step; the message says what to do next."""


def run_step(step: Callable[[], object]) -> None:
    """Run a script's main function: an expected failure prints one line and exits 1."""
    try:
        step()
    except StepFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
