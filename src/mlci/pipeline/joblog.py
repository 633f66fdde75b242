"""A job's log file: step headers, the steps' output, every secret masked before it is written.

One file per job run (`.mlci/pipelines/<n>/logs/<build>.log`), appended line by line and
flushed as it goes so `mlci logs -f` can follow it. Output is split into lines before masking,
so a secret split across two reads of a pipe is still masked whole.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from mlci.pipeline.environment import Masker

MAX_PARTIAL_LINE = 64 * 1024  # a line longer than this is written in pieces
STEP_OPEN = "==> "
STEP_CLOSE = "<== "


class JobLog:
    def __init__(self, path: Path, masker: Masker, on_line: Callable[[str], None] | None = None):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.masker = masker
        self._stream = open(path, "a", encoding="utf-8", errors="replace")  # noqa: SIM115
        self._lock = threading.Lock()
        self._on_line = on_line
        self.tail: list[str] = []  # the last lines, for a failure summary

    def line(self, text: str) -> None:
        masked = self.masker.mask(text)
        with self._lock:
            self._stream.write(masked + "\n")
            self._stream.flush()
            self.tail.append(masked)
            if len(self.tail) > 40:
                del self.tail[:-20]
        if self._on_line is not None:
            self._on_line(masked)

    def step_started(self, number: int, name: str) -> None:
        self.line(f"{STEP_OPEN}[{number}] {name}")

    def step_finished(self, number: int, outcome: str) -> None:
        self.line(f"{STEP_CLOSE}[{number}] {outcome}")

    def close(self) -> None:
        with self._lock:
            self._stream.close()


class LineSplitter:
    """Turns chunks of bytes from a pipe into whole lines for a JobLog."""

    def __init__(self, sink: Callable[[str], None], prefix: str = "") -> None:
        self._sink = sink
        self._prefix = prefix
        self._buffer = b""

    def feed(self, chunk: bytes) -> None:
        self._buffer += chunk
        *lines, self._buffer = self._buffer.split(b"\n")
        for raw in lines:
            self._emit(raw)
        if len(self._buffer) > MAX_PARTIAL_LINE:
            self._emit(self._buffer)
            self._buffer = b""

    def close(self) -> None:
        if self._buffer:
            self._emit(self._buffer)
            self._buffer = b""

    def _emit(self, raw: bytes) -> None:
        text = raw.decode("utf-8", "replace").rstrip("\r")
        self._sink(self._prefix + text)
