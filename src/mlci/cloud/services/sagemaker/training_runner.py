"""Running training jobs: fetch the channels, train in a worker process, upload the model.

Each accepted job gets a thread that walks it through SageMaker's phases and records every
phase change in the job's row (one write transaction each), so DescribeTrainingJob always
shows where it is. The training itself happens in a worker process (`training_workers`), so
the API is never blocked and a job can be stopped by ending its process. At most `slots` jobs
train at once (one per core); the others wait in SecondaryStatus Pending.

Working files live in `<home>/training/jobs/<region>/<job>/` (input/data/<channel>, model,
output) and are removed when the job ends: what remains is the record and what was put in S3.
A job that was running when the cloud died is marked Failed ("interrupted ...") at the next
start; its model was never uploaded, or, if it died while uploading, the object is removed.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlci.algorithms.xgboost.spec import TrainingResult
from mlci.cloud.errors import AwsError
from mlci.cloud.services.logs.store import LogStore, open_store
from mlci.cloud.services.s3.access import S3Access
from mlci.cloud.services.sagemaker import training_outputs, training_store
from mlci.cloud.services.sagemaker import training_records as job_records
from mlci.cloud.services.sagemaker.records import Record
from mlci.cloud.services.sagemaker.state import State
from mlci.cloud.services.sagemaker.training_inputs import (
    Cancelled,
    Downloader,
    JobFailure,
    check_image,
)
from mlci.cloud.services.sagemaker.training_logs import LogPump, stream_name
from mlci.cloud.services.sagemaker.training_recovery import recover_interrupted
from mlci.cloud.services.sagemaker.training_workers import (
    STOP_GRACE_SECONDS,
    Worker,
    WorkerPool,
    terminate,
)

log = logging.getLogger("mlci.cloud.training")


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class Outcome:
    status: str  # Completed | Failed | Stopped
    secondary: str  # Completed | Failed | Stopped | MaxRuntimeExceeded
    failure_reason: str | None = None
    metrics: tuple[tuple[str, float], ...] = ()
    model_uri: str | None = None


STOPPED = Outcome("Stopped", "Stopped")


def max_runtime_exceeded(seconds: float) -> Outcome:
    return Outcome(
        "Stopped",
        "MaxRuntimeExceeded",
        f"Training job exceeded StoppingCondition.MaxRuntimeInSeconds ({seconds:g} s) and was "
        "stopped",
    )


@dataclass
class RunningJob:
    region: str
    name: str
    record: dict[str, Any]  # the Describe record as created: what the job was asked to do
    folder: Path
    stop_requested: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    process: Worker | None = None
    deadline_hit: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.region, self.name.lower())


class Slots:
    """At most `count` jobs train at once; a waiting job gives up when it is stopped."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.busy = 0
        self._changed = threading.Condition()

    def try_acquire(self) -> bool:
        with self._changed:
            if self.busy < self.count:
                self.busy += 1
                return True
            return False

    def acquire(self, cancelled: threading.Event) -> bool:
        with self._changed:
            while self.busy >= self.count:
                if cancelled.is_set():
                    return False
                self._changed.wait(0.5)
            self.busy += 1
            return True

    def release(self) -> None:
        with self._changed:
            self.busy -= 1
            self._changed.notify_all()

    def wake(self) -> None:
        with self._changed:
            self._changed.notify_all()


class TrainingRunner:
    def __init__(self, state: State, slots: int, keep_spare_worker: bool = True) -> None:
        self.db = state.db
        self.clock = state.clock
        self.root = state.home / "training"
        self.cores = available_cores()
        self.slots = Slots(slots)
        self.s3 = S3Access(state.home)
        self.logs: LogStore = open_store(state.home)
        self.pool = WorkerPool(self.root / "workers", keep_spare=keep_spare_worker)
        self._jobs: dict[tuple[str, str], RunningJob] = {}
        self._lock = threading.Lock()

    # --- the API's side ------------------------------------------------------------------

    def start(self, region: str, name: str, record: dict[str, Any]) -> RunningJob:
        folder = self.root / "jobs" / region / name.lower()
        job = RunningJob(region, name, record, folder)
        with self._lock:
            self._jobs[job.key] = job
        threading.Thread(
            target=self._run, args=(job,), name=f"training {name}", daemon=True
        ).start()
        return job

    def find(self, region: str, name: str) -> RunningJob | None:
        with self._lock:
            return self._jobs.get((region, name.lower()))

    def stop(self, job: RunningJob) -> None:
        """Ask a job to stop (its row already says Stopping): end its worker if it has one."""
        with self._lock:
            job.stop_requested.set()
            process = job.process
        self.slots.wake()
        if process is not None:
            threading.Thread(target=terminate, args=(process,), daemon=True).start()

    # --- the job's thread ----------------------------------------------------------------

    def _run(self, job: RunningJob) -> None:
        outcome = STOPPED
        try:
            outcome = self._queued_then_run(job)
        except Exception as error:  # a bug: the job must still end, with a reason
            log.exception("training job %s failed unexpectedly", job.name)
            outcome = Outcome("Failed", "Failed", f"InternalServerError: {error}")
        finally:
            try:
                self._finish(job, outcome)
            finally:
                shutil.rmtree(job.folder, ignore_errors=True)
                with self._lock:
                    self._jobs.pop(job.key, None)
                job.done.set()

    def _queued_then_run(self, job: RunningJob) -> Outcome:
        try:
            check_image(job.record.get("AlgorithmSpecification", {}).get("TrainingImage"))
            self._check_output_bucket(job)
        except JobFailure as failure:
            return Outcome("Failed", "Failed", str(failure))
        if not self.slots.try_acquire():
            self._update(job, lambda r, now: job_records.transition(r, "Pending", now))
            if not self.slots.acquire(job.stop_requested):
                return STOPPED
        try:
            return self._phases(job)
        finally:
            self.slots.release()

    def _check_output_bucket(self, job: RunningJob) -> None:
        target = training_outputs.model_location(job.record["OutputDataConfig"], job.name)
        if not self.s3.bucket_exists(target.bucket):
            error = AwsError("NoSuchBucket", "The specified bucket does not exist")
            raise training_outputs.upload_failed(target, error)

    def _phases(self, job: RunningJob) -> Outcome:
        if job.stop_requested.is_set():
            return STOPPED
        started = self._update(job, lambda r, now: job_records.transition(r, "Downloading", now))
        max_runtime = float(started["StoppingCondition"]["MaxRuntimeInSeconds"])
        deadline = time.monotonic() + max_runtime
        try:
            channels = self._download(job)
        except Cancelled:
            return STOPPED
        except JobFailure as failure:
            return Outcome("Failed", "Failed", str(failure))
        if job.stop_requested.is_set():
            return STOPPED
        if time.monotonic() >= deadline:
            return max_runtime_exceeded(max_runtime)
        self._update(job, lambda r, now: job_records.transition(r, "Training", now))
        outcome = self._train(job, channels, deadline, max_runtime)
        if outcome.status != "Completed":
            return outcome
        if job.stop_requested.is_set():
            return STOPPED
        self._update(job, lambda r, now: job_records.transition(r, "Uploading", now))
        try:
            uri = training_outputs.upload(
                self.s3, job.record["OutputDataConfig"], job.name, job.folder / "model"
            )
        except JobFailure as failure:
            return Outcome("Failed", "Failed", str(failure))
        return Outcome("Completed", "Completed", metrics=outcome.metrics, model_uri=uri)

    def _download(self, job: RunningJob) -> dict[str, dict[str, str | None]]:
        downloader = Downloader(
            self.s3, job.region, job.record["RoleArn"], job.stop_requested.is_set
        )
        channels: dict[str, dict[str, str | None]] = {}
        for channel in job.record.get("InputDataConfig") or []:
            folder = downloader.fetch(channel, job.folder / "input" / "data")
            channels[channel["ChannelName"]] = {
                "path": str(folder),
                "content_type": channel.get("ContentType"),
            }
        return channels

    def _train(
        self,
        job: RunningJob,
        channels: dict[str, dict[str, str | None]],
        deadline: float,
        max_runtime: float,
    ) -> Outcome:
        result_path = job.folder / "output" / "result.json"
        result_path.parent.mkdir(parents=True, exist_ok=True)
        spec = {
            "channels": channels,
            "hyperparameters": job.record.get("HyperParameters") or {},
            "model_dir": str(job.folder / "model"),
            "result_path": str(result_path),
            "max_runtime_seconds": max(deadline - time.monotonic(), 0.001),
            "nthread": max(1, self.cores - (self.slots.busy - 1)),
        }
        if job.stop_requested.is_set():
            return STOPPED
        process = self.pool.start_job(json.dumps(spec))
        try:
            return self._supervise(job, process, deadline, max_runtime)
        finally:
            self.pool.prepare()  # a new zygote if this job saw the last one die

    def _supervise(
        self, job: RunningJob, process: Worker, deadline: float, max_runtime: float
    ) -> Outcome:
        if process.stdout is None:
            raise OSError("the worker has no stdout pipe")
        stream = stream_name(job.name, time.time())
        pump = LogPump(process.stdout, self.logs, stream, lambda: int(time.time() * 1000))
        with self._lock:
            job.process = process
            stop_requested = job.stop_requested.is_set()  # a stop that saw no process yet
        try:
            if stop_requested:
                terminate(process)
            self._wait(job, process, pump, deadline)
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
            pump.finish()
            with self._lock:
                job.process = None
        return self._result(job, process.wait(), pump.tail, max_runtime)  # ended: no wait

    def _wait(self, job: RunningJob, process: Worker, pump: LogPump, deadline: float) -> None:
        # The worker stops itself at the deadline (between rounds); a round that runs past it
        # by more than the grace period is ended from here.
        limit = max(deadline - time.monotonic(), 0) + STOP_GRACE_SECONDS
        if not pump.wait_for_end(limit):
            job.deadline_hit = True
            terminate(process)

    def _result(
        self, job: RunningJob, returncode: int, tail: Sequence[str], max_runtime: float
    ) -> Outcome:
        path = job.folder / "output" / "result.json"
        result = _read_result(path)
        if job.stop_requested.is_set():
            return STOPPED
        if job.deadline_hit or (result and result.secondary_status == "MaxRuntimeExceeded"):
            return max_runtime_exceeded(max_runtime)
        if result is None:
            last = " | ".join(tail[-5:])
            return Outcome(
                "Failed",
                "Failed",
                f"AlgorithmError: the training process exited with code {returncode} without "
                f"a result. Last log lines: {last}",
            )
        metrics = tuple((m.name, m.value) for m in result.final_metrics)
        if result.status == "Completed":
            return Outcome("Completed", "Completed", metrics=metrics)
        if result.status == "Stopped":
            return STOPPED
        return Outcome("Failed", "Failed", algorithm_failure(result.failure_reason), metrics)

    # --- records -------------------------------------------------------------------------

    def _finish(self, job: RunningJob, outcome: Outcome) -> None:
        def end(record: Record, now: float) -> Record:
            chosen = outcome
            if record["TrainingJobStatus"] == "Stopping" and outcome.status != "Completed":
                chosen = STOPPED if outcome.secondary != "MaxRuntimeExceeded" else outcome
            return job_records.finished(
                record,
                chosen.status,
                chosen.secondary,
                now,
                failure_reason=chosen.failure_reason,
                metrics=chosen.metrics,
                model_uri=chosen.model_uri,
            )

        self._update(job, end)

    def _update(self, job: RunningJob, change: training_store.Change) -> Record:
        return training_store.update(self.db, self.clock, job.region, job.name, change)

    def recover(self) -> int:
        """Fail the jobs the cloud was running when it died (see `training_recovery`)."""
        return recover_interrupted(self.db, self.clock, self.s3, self.root / "jobs")


def _read_result(path: Path) -> TrainingResult | None:
    try:
        return TrainingResult.from_json(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def algorithm_failure(reason: str | None) -> str:
    """The worker's failure as SageMaker words it: ClientError for what the job's inputs got
    wrong, AlgorithmError for xgboost's and the worker's own failures."""
    text = reason or "the training process failed without a reason"
    if text.startswith(("ClientError:", "AlgorithmError:")):
        return text
    if text.startswith(("XGB train call failed", "internal error", "invalid spec")):
        return f"AlgorithmError: {text}"
    return f"ClientError: {text}"
