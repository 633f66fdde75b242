"""Training jobs: Create / Describe / List / Stop TrainingJob.

CreateTrainingJob records the job (InProgress / Starting) and hands it to the runner, which
trains it in a worker process. The request then waits, on its own thread and for at most
MLCI_TRAINING_SYNC_SECONDS (default 30 s), until the job has ended. That is for the SageMaker
SDK: `Estimator.fit(logs=True)` reads the job's logs once and returns at once if the job is
already over at its first DescribeTrainingJob, but otherwise polls every 10 s and re-describes
only every 30 s. A longer job simply goes on in the background; other requests are served
meanwhile (only a few requests may wait at once, so waiting never starves the server's
threads), and a waiting request returns at once when the cloud is being stopped.
StopTrainingJob waits the same way for the job to reach Stopped.

Environment:
    MLCI_TRAINING_SYNC_SECONDS   how long CreateTrainingJob / StopTrainingJob wait (0: no wait)
    MLCI_TRAINING_SLOTS          how many jobs train at once (default: one per core)
    MLCI_TRAINING_WARM_WORKER    0 to not keep a worker process ready (default: keep one)
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlci.cloud.errors import AwsError, validation
from mlci.cloud.protocols.json_rpc import Handler
from mlci.cloud.service import Context
from mlci.cloud.services.sagemaker import arns, records, tags, training_store
from mlci.cloud.services.sagemaker import training_records as job_records
from mlci.cloud.services.sagemaker.listing import Condition, Listing, list_page
from mlci.cloud.services.sagemaker.state import State
from mlci.cloud.services.sagemaker.training_inputs import parse_s3_uri
from mlci.cloud.services.sagemaker.training_runner import (
    RunningJob,
    TrainingRunner,
    available_cores,
)

RESOURCE_TYPE = "training-job"
DEFAULT_SYNC_SECONDS = 30.0
MAX_SYNC_WAITERS = 8  # requests that may wait for their job at once (the server has 32 threads)
WAIT_SLICE_SECONDS = 0.25  # how often a waiting request checks whether the server is stopping

MIGRATIONS = training_store.MIGRATIONS

LISTING = Listing(
    table=training_store.TABLE,
    sort_columns={"Name": "name", "CreationTime": "creation_time", "Status": "status"},
    default_sort_by="CreationTime",
    default_sort_order="Ascending",
)


@dataclass(frozen=True)
class Settings:
    sync_seconds: float
    slots: int
    warm_worker: bool

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Settings:
        return cls(
            sync_seconds=_number(environ, "MLCI_TRAINING_SYNC_SECONDS", DEFAULT_SYNC_SECONDS),
            slots=int(_number(environ, "MLCI_TRAINING_SLOTS", available_cores(), minimum=1)),
            warm_worker=environ.get("MLCI_TRAINING_WARM_WORKER", "1") != "0",
        )


def _number(environ: Mapping[str, str], name: str, default: float, minimum: float = 0) -> float:
    text = environ.get(name)
    if text is None or not text.strip():
        return default
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name}={text!r} is not a number") from None
    if value < minimum:
        raise ValueError(f"{name}={text!r} must be at least {minimum:g}")
    return value


def missing() -> AwsError:
    return validation("Requested resource not found.")


def check_request(params: Mapping[str, Any]) -> None:
    """What SageMaker refuses up front; everything about the data is found out by the job."""
    algorithm = params.get("AlgorithmSpecification")
    if not algorithm:
        raise validation(
            "1 validation error detected: Value null at 'algorithmSpecification' failed to "
            "satisfy constraint: Member must not be null"
        )
    if algorithm.get("AlgorithmName"):
        raise validation(
            "AlgorithmSpecification.AlgorithmName (algorithm resources) is not supported by "
            "mlci cloud; give AlgorithmSpecification.TrainingImage, a sagemaker-xgboost image"
        )
    if not algorithm.get("TrainingImage"):
        raise validation("AlgorithmSpecification must specify TrainingImage or AlgorithmName.")
    parse_s3_uri(params["OutputDataConfig"]["S3OutputPath"], "OutputDataConfig.S3OutputPath")
    seen: set[str] = set()
    for index, channel in enumerate(params.get("InputDataConfig") or []):
        name = channel["ChannelName"]
        if name in seen:
            raise validation(f"Channel names must be unique: '{name}' is given more than once.")
        seen.add(name)
        source = channel["DataSource"].get("S3DataSource")
        if source is not None:
            parse_s3_uri(source["S3Uri"], f"InputDataConfig.{index + 1}.DataSource.S3Uri")


class TrainingJobs:
    def __init__(self, state: State, runner: TrainingRunner, settings: Settings) -> None:
        self.db = state.db
        self.clock = state.clock
        self.runner = runner
        self.settings = settings
        self._waiters = threading.BoundedSemaphore(MAX_SYNC_WAITERS)

    def handlers(self) -> dict[str, Handler]:
        return {
            "CreateTrainingJob": self.create,
            "DescribeTrainingJob": self.describe,
            "ListTrainingJobs": self.list,
            "StopTrainingJob": self.stop,
        }

    def create(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        name = params["TrainingJobName"]
        arn = arns.build(ctx, RESOURCE_TYPE, name)
        check_request(params)
        with self.db.write() as conn:
            if training_store.find(conn, ctx.region, name) is not None:
                raise AwsError(
                    "ResourceInUse",
                    "Training job names must be unique within an AWS account and region, and a "
                    f"training job with this name already exists ({arn})",
                )
            now = self.clock.now()  # inside the transaction: CreationTime order is commit order
            record = job_records.new_record(params, arn, now)
            training_store.insert(conn, ctx.region, record)
            tags.attach(conn, arn, params.get("Tags") or [])
        self._wait(self.runner.start(ctx.region, name, record))
        return {"TrainingJobArn": arn}

    def describe(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        row = training_store.find(self.db.conn, ctx.region, params["TrainingJobName"])
        if row is None:
            raise missing()
        return records.load(row["record"])

    def list(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        conditions = [Condition("region = ?", (ctx.region,))]
        if params.get("StatusEquals"):
            conditions.append(Condition("status = ?", (params["StatusEquals"],)))
        after = records.timestamp(params, "LastModifiedTimeAfter")
        if after is not None:
            conditions.append(Condition("last_modified_time > ?", (after,)))
        before = records.timestamp(params, "LastModifiedTimeBefore")
        if before is not None:
            conditions.append(Condition("last_modified_time < ?", (before,)))
        if params.get("WarmPoolStatusEquals") or params.get("TrainingPlanArnEquals"):
            conditions.append(Condition("0"))  # no job here uses warm pools or training plans
        page = list_page(self.db.conn, LISTING, params, conditions)
        summaries = [
            records.project(records.load(row["record"]), "TrainingJobSummary") for row in page.rows
        ]
        return records.present(TrainingJobSummaries=summaries, NextToken=page.next_token)

    def stop(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        name = params["TrainingJobName"]
        with self.db.write() as conn:
            row = training_store.find(conn, ctx.region, name)
            if row is None:
                raise missing()
            record = records.load(row["record"])
            status = record["TrainingJobStatus"]
            if status != "InProgress":
                raise validation(
                    f"The request was rejected because the training job is in status {status}."
                )
            training_store.write(conn, row["id"], job_records.stopping(record, self.clock.now()))
        job = self.runner.find(ctx.region, name)
        if job is not None:
            self.runner.stop(job)
            self._wait(job)
        return {}

    def _wait(self, job: RunningJob) -> None:
        """Wait (bounded) for the job to end, unless too many requests are waiting already;
        give up as soon as the server is being stopped, which waits for this request."""
        if self.settings.sync_seconds <= 0 or not self._waiters.acquire(blocking=False):
            return
        try:
            deadline = time.monotonic() + self.settings.sync_seconds
            while not job.done.wait(min(WAIT_SLICE_SECONDS, deadline - time.monotonic())):
                if time.monotonic() >= deadline or server_stopping():
                    return
        finally:
            self._waiters.release()


def server_stopping() -> bool:
    """True once the server has been told to stop. uvicorn handles SIGTERM and SIGINT with a
    method of its Server that sets `should_exit`, then waits for requests in progress to finish
    before it stops: a request waiting for its job must notice, or stopping the cloud would take
    as long as the wait. Without such a handler this is always False (the wait stays bounded)."""
    handler = signal.getsignal(signal.SIGTERM)
    return bool(getattr(getattr(handler, "__self__", None), "should_exit", False))


def handlers(state: State) -> dict[str, Handler]:
    settings = Settings.from_environment(os.environ)
    runner = TrainingRunner(state, settings.slots, keep_spare_worker=settings.warm_worker)
    runner.recover()
    runner.pool.prepare()
    return TrainingJobs(state, runner, settings).handlers()
