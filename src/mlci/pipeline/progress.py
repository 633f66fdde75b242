"""Showing a run as it goes: a live tree in a terminal, plain lines anywhere else.

Workflow → jobs → steps, each with its status and duration. The live view redraws a few
times a second from what the job threads report; plain mode prints one line per change
(what CI logs and tests read). `--json` uses the silent reporter and prints only the end.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, TextIO

SYMBOLS = {
    "running": "…",
    "queued": "·",
    "success": "✓",
    "failed": "✗",
    "timedout": "✗",
    "canceled": "⊘",
    "not_run": "-",
    "on_hold": "‖",
    "interrupted": "!",
    "errored": "✗",
}


def _took(seconds: float | None) -> str:
    return "" if seconds is None else f" ({seconds:.2f}s)" if seconds < 10 else f" ({seconds:.1f}s)"


class Silent:
    def workflow(self, pipeline: int, name: str, status: str) -> None:
        pass

    def job(self, workflow: str, job: str, status: str, message: str | None = None) -> None:
        pass

    def step(
        self, workflow: str, job: str, number: int, name: str, status: str, seconds: float | None
    ) -> None:
        pass

    def note(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


class Plain(Silent):
    """One line per change, to a stream; safe to call from the job threads."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self._lock = threading.Lock()
        self._started: dict[tuple[str, str], float] = {}

    def _print(self, text: str) -> None:
        with self._lock:
            self.stream.write(text + "\n")
            self.stream.flush()

    def workflow(self, pipeline: int, name: str, status: str) -> None:
        self._print(f"workflow {name}: {status}")

    def job(self, workflow: str, job: str, status: str, message: str | None = None) -> None:
        key = (workflow, job)
        if status == "running":
            self._started[key] = time.monotonic()
        started = self._started.get(key)
        seconds = time.monotonic() - started if started and status != "running" else None
        detail = f": {message}" if message and status != "running" else ""
        self._print(f"  {workflow}/{job}: {status}{_took(seconds)}{detail}")

    def step(
        self, workflow: str, job: str, number: int, name: str, status: str, seconds: float | None
    ) -> None:
        if status != "running":
            self._print(f"    {workflow}/{job} [{number}] {name}: {status}{_took(seconds)}")

    def note(self, text: str) -> None:
        self._print(text)


class _Job:
    def __init__(self) -> None:
        self.status = "queued"
        self.started: float | None = None
        self.ended: float | None = None
        self.message: str | None = None
        self.step: str | None = None
        self.step_started: float | None = None


class _Workflow:
    def __init__(self) -> None:
        self.status = "running"
        self.jobs: dict[str, _Job] = {}


class Live(Silent):
    """A rich tree redrawn in place (only for terminals)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        from rich.console import Console
        from rich.live import Live as RichLive

        self._console = Console(file=stream or sys.stdout)
        self._lock = threading.Lock()
        self._workflows: dict[str, _Workflow] = {}
        self._notes: list[str] = []
        self._live = RichLive(
            get_renderable=self._render, console=self._console, refresh_per_second=8
        )
        self._live.start()

    def workflow(self, pipeline: int, name: str, status: str) -> None:
        with self._lock:
            self._workflows.setdefault(name, _Workflow()).status = status

    def job(self, workflow: str, job: str, status: str, message: str | None = None) -> None:
        now = time.monotonic()
        with self._lock:
            entry = self._workflows.setdefault(workflow, _Workflow()).jobs.setdefault(job, _Job())
            entry.status, entry.message = status, message
            if status == "running":
                entry.started = now
            elif status != "on_hold":
                entry.ended, entry.step = now, None

    def step(
        self, workflow: str, job: str, number: int, name: str, status: str, seconds: float | None
    ) -> None:
        with self._lock:
            entry = self._workflows.setdefault(workflow, _Workflow()).jobs.setdefault(job, _Job())
            if status == "running":
                entry.step, entry.step_started = f"[{number}] {name}", time.monotonic()

    def note(self, text: str) -> None:
        self._console.print(text)

    def close(self) -> None:
        self._live.stop()

    def _render(self) -> Any:
        from rich.tree import Tree

        now = time.monotonic()
        tree = Tree("pipeline")
        with self._lock:
            for name, workflow in self._workflows.items():
                branch = tree.add(f"{SYMBOLS.get(workflow.status, '?')} {name}: {workflow.status}")
                for job_name, job in workflow.jobs.items():
                    end = job.ended or now
                    took = _took(end - job.started) if job.started else ""
                    line = f"{SYMBOLS.get(job.status, '?')} {job_name}: {job.status}{took}"
                    if job.message and job.status not in ("running", "success"):
                        line += f" — {job.message}"
                    node = branch.add(line)
                    if job.step and job.status == "running":
                        step_took = _took(now - (job.step_started or now))
                        node.add(f"{job.step}{step_took}")
        return tree


def reporter_for(stream: TextIO, *, quiet: bool) -> Silent:
    if quiet:
        return Silent()
    if stream.isatty():
        return Live(stream)
    return Plain(stream)
