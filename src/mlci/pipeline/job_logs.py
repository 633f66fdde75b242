"""Finding a job's log (`mlci logs <pipeline> <job>`) and following it while it grows."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from mlci.pipeline.errors import PipelineError
from mlci.pipeline.state import TERMINAL, JobRow, Store, effective_status

FOLLOW_POLL_SECONDS = 0.2


def find_job(store: Store, number: int, name: str) -> JobRow:
    """The job `name` (or `workflow/name`, or its build number) of a pipeline's current
    attempt; an ambiguous name is an error listing the choices."""
    store.require_pipeline(number)
    candidates: list[tuple[str, JobRow]] = []
    for workflow in store.workflows(number):
        for job in store.jobs(workflow.id):
            if name in (job.name, str(job.build_num), f"{workflow.name}/{job.name}"):
                candidates.append((workflow.name, job))
    unique = {job.build_num: (w, job) for w, job in candidates}
    if not unique:
        raise PipelineError(f"pipeline {number} has no job {name!r}")
    if len(unique) > 1:
        listing = ", ".join(f"{w}/{job.name}" for w, job in unique.values())
        raise PipelineError(f"{name!r} names several jobs of pipeline {number}: {listing}")
    return next(iter(unique.values()))[1]


def log_path(store: Store, number: int, job: JobRow) -> Path:
    build = job.carried_from or job.build_num
    return store.pipeline_dir(number) / "logs" / f"{build}.log"


def read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return []


def follow(store: Store, number: int, job: JobRow) -> Iterator[str]:
    """Lines of the job's log as they are written, until the job has ended."""
    path = log_path(store, number, job)
    position = 0
    partial = ""
    while True:
        row = store.job(job.build_num)
        alive = store.require_pipeline(number).runner_alive
        done = effective_status(row.status, alive) in TERMINAL or (
            row.status not in ("running", "queued")
        )
        try:
            with open(path, encoding="utf-8", errors="replace") as stream:
                stream.seek(position)
                chunk = stream.read()
                position = stream.tell()
        except FileNotFoundError:
            chunk = ""
        text = partial + chunk
        *lines, partial = text.split("\n")
        yield from lines
        if done and not chunk:
            if partial:
                yield partial
            return
        if not chunk:
            time.sleep(FOLLOW_POLL_SECONDS)
