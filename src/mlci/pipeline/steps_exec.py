"""Running a job's `run` steps: the shell, the output, the timeouts, background steps.

Like CircleCI, a command runs as a script file under `/bin/bash -eo pipefail` (or
`/bin/sh -eo pipefail` where there is no bash), or under the step's or job's `shell`, with
stdout and stderr merged into the job log. Each step is its own process group, so stopping
it (no output for `no_output_timeout`, Ctrl-C, `mlci cancel`) stops everything it started;
whatever a step left running is stopped when its job ends, as a CI container would be.
A background step runs alongside the steps after it; its exit status shows in the log but
does not fail the job (CircleCI does the same).
"""

from __future__ import annotations

import contextlib
import os
import select
import shlex
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from mlci.pipeline import processes
from mlci.pipeline.durations import format_duration
from mlci.pipeline.joblog import JobLog, LineSplitter

STOP_GRACE_SECONDS = 5.0  # between SIGTERM and SIGKILL
_POLL_SECONDS = 0.1
_DRAIN_AFTER_EXIT_SECONDS = 0.2  # output still arriving from a step's leftover children

SUCCESS, FAILED, TIMEDOUT, CANCELED = "success", "failed", "timedout", "canceled"


def default_shell() -> str:
    return "/bin/bash -eo pipefail" if shutil.which("bash") else "/bin/sh -eo pipefail"


def shell_command(shell: str | None, script: Path) -> list[str]:
    words = shlex.split(shell) if shell else shlex.split(default_shell())
    return [*words, str(script)]


class StepOutcome(NamedTuple):
    status: str
    exit_code: int | None = None
    message: str | None = None


class CommandSpec(NamedTuple):
    argv: list[str]
    cwd: Path
    env: dict[str, str]
    no_output_timeout: float


@dataclass
class ProcessGroups:
    """The live process groups of one job, reported to `on_change` so state can record them
    (a runner killed with SIGKILL leaves them; the next runner stops them)."""

    on_change: Callable[[list[list[object]]], None] = lambda groups: None
    _groups: dict[int, tuple[subprocess.Popen[bytes], str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, process: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._groups[process.pid] = (process, processes.start_token(process.pid))
            snapshot = [[pgid, token] for pgid, (_, token) in self._groups.items()]
        self.on_change(snapshot)

    def discard(self, pgid: int) -> None:
        with self._lock:
            self._groups.pop(pgid, None)

    def stop_all(self) -> None:
        with self._lock:
            groups = [process for process, _ in self._groups.values()]
            self._groups.clear()
        for process in groups:
            stop_process(process, grace=1.0)


def stop_process(process: subprocess.Popen[bytes], grace: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM the step's process group; SIGKILL it if the step has not ended after `grace`
    seconds, and in any case whatever of the group outlives the step."""
    processes.signal_group(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace)
    processes.kill_group(process.pid)
    process.wait()


def _start(spec: CommandSpec, groups: ProcessGroups) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        spec.argv,
        cwd=spec.cwd,
        env=spec.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: Ctrl-C reaches the runner only
    )
    groups.add(process)
    return process


def run_foreground(
    spec: CommandSpec, log: JobLog, cancel: threading.Event, groups: ProcessGroups
) -> StepOutcome:
    try:
        process = _start(spec, groups)
    except OSError as exc:
        return StepOutcome(FAILED, None, f"cannot start {spec.argv[0]}: {exc.strerror}")
    assert process.stdout is not None  # we asked for a pipe
    splitter = LineSplitter(log.line)
    outcome = _pump(process, splitter, spec.no_output_timeout, cancel)
    splitter.close()
    process.stdout.close()
    if outcome is not None:
        stop_process(process)
        groups.discard(process.pid)
        return outcome
    code = process.wait()
    # What the step left running ends with the job, as in a container; if it left nothing,
    # forget the group now, so its (reusable) id is never signalled later.
    if not processes.group_alive(process.pid):
        groups.discard(process.pid)
    if code == 0:
        return StepOutcome(SUCCESS, 0)
    return StepOutcome(FAILED, code, f"exited with code {code}" if code > 0 else _signal(code))


def _pump(
    process: subprocess.Popen[bytes],
    splitter: LineSplitter,
    no_output_timeout: float,
    cancel: threading.Event,
) -> StepOutcome | None:
    """Copy output until the pipe closes; an outcome if the step must be stopped instead."""
    assert process.stdout is not None
    fd = process.stdout.fileno()
    last_output = time.monotonic()
    exited_at: float | None = None
    while True:
        if cancel.is_set():
            return StepOutcome(CANCELED, None, "canceled")
        now = time.monotonic()
        if no_output_timeout > 0 and now - last_output > no_output_timeout:
            limit = format_duration(no_output_timeout)
            return StepOutcome(TIMEDOUT, None, f"Too long with no output (exceeded {limit})")
        if exited_at is None and process.poll() is not None:
            exited_at = now
        if exited_at is not None and now - exited_at > _DRAIN_AFTER_EXIT_SECONDS:
            return None  # the step is done; a child it left holds the pipe open
        ready, _, _ = select.select([fd], [], [], _POLL_SECONDS)
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            return None
        splitter.feed(chunk)
        last_output = time.monotonic()


def _signal(code: int) -> str:
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = f"signal {-code}"
    return f"killed by {name}"


class BackgroundStep:
    """A `background: true` step: started now, its output copied to the log by a thread."""

    def __init__(
        self, number: int, name: str, spec: CommandSpec, log: JobLog, groups: ProcessGroups
    ):
        self.number = number
        self.name = name
        self._log = log
        self._groups = groups
        self._process = _start(spec, groups)
        self._thread = threading.Thread(target=self._copy, name=f"background-{name}", daemon=True)
        self._thread.start()

    def _copy(self) -> None:
        stream = self._process.stdout
        assert stream is not None  # we asked for a pipe
        splitter = LineSplitter(self._log.line, prefix=f"[{self.name}] ")
        while chunk := os.read(stream.fileno(), 65536):
            splitter.feed(chunk)
        splitter.close()
        stream.close()

    def stop(self) -> StepOutcome:
        """End the step when its job ends: its exit status, or "stopped" if still running."""
        still_running = self._process.poll() is None
        if still_running:
            stop_process(self._process, grace=1.0)
        code = self._process.wait()
        self._thread.join(timeout=2)
        self._groups.discard(self._process.pid)
        if still_running:
            return StepOutcome(SUCCESS, None, "still running when the job ended: stopped")
        if code == 0:
            return StepOutcome(SUCCESS, 0)
        return StepOutcome(FAILED, code, f"exited with code {code}" if code > 0 else _signal(code))
