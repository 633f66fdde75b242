"""A training worker's output, into CloudWatch Logs as it comes.

The worker prints one log line per line of stdout, already in the form CloudWatch holds them
(`[0]#011train-rmse:...`); stderr shares the pipe, and anything it prints is escaped the same
way here. Lines are stored in batches, one transaction every FLUSH_SECONDS at most, so a
job that logs a round every millisecond costs a few commits, not thousands.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import IO

from mlci.cloud.services.logs.store import LogStore

LOG_GROUP = "/aws/sagemaker/TrainingJobs"
FLUSH_SECONDS = 0.1
TAIL_LINES = 20  # kept for a FailureReason when the worker dies without a result
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def stream_name(job_name: str, started: float) -> str:
    """SageMaker's stream name for the first (only) instance: `<job>/algo-1-<epoch seconds>`."""
    return f"{job_name}/algo-1-{int(started)}"


def cloudwatch_form(line: str) -> str:
    """Escape control characters as SageMaker's log agent does (TAB -> #011)."""
    return _CONTROL.sub(lambda m: f"#{ord(m.group()):03o}", line)


class LogPump:
    """Reads a worker's output on one thread and appends it to a stream on another."""

    def __init__(
        self, source: IO[bytes], logs: LogStore, stream: str, now_ms: Callable[[], int]
    ) -> None:
        self.logs = logs
        self.stream = stream
        self.now_ms = now_ms
        self.tail: list[str] = []
        self._source = source
        self._pending: list[tuple[int, str]] = []
        self._lock = threading.Lock()
        self._arrived = threading.Event()
        self._ended = threading.Event()
        logs.ensure_stream(LOG_GROUP, stream)
        self._reader = threading.Thread(target=self._read, name=f"log-read {stream}", daemon=True)
        self._writer = threading.Thread(target=self._write, name=f"log-write {stream}", daemon=True)
        self._reader.start()
        self._writer.start()

    def _read(self) -> None:
        try:
            for raw in iter(self._source.readline, b""):
                line = cloudwatch_form(raw.decode("utf-8", "replace").rstrip("\r\n"))
                with self._lock:
                    self._pending.append((self.now_ms(), line))
                    self.tail = [*self.tail[-(TAIL_LINES - 1) :], line]
                self._arrived.set()
        finally:
            self._source.close()
            self._ended.set()
            self._arrived.set()

    def _write(self) -> None:
        while True:
            self._arrived.wait()
            # Let a burst of lines gather into one batch; the end of the output flushes at once.
            self._ended.wait(FLUSH_SECONDS)
            ended = self._ended.is_set()
            with self._lock:
                batch, self._pending = self._pending, []
                self._arrived.clear()
            if batch:
                self.logs.append(LOG_GROUP, self.stream, batch)
            if ended:
                return

    def wait_for_end(self, timeout: float) -> bool:
        """Wait until the worker's output ends (it has exited); False if `timeout` passed.
        Noticing the end of the pipe is immediate, unlike polling the process."""
        return self._ended.wait(timeout)

    def finish(self) -> None:
        """Wait until every line the worker printed is stored (call once the worker ended)."""
        self._reader.join()
        self._writer.join()
