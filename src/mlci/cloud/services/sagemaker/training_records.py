"""A training job's DescribeTrainingJob record and how it changes as the job runs.

Everything here is pure: functions take a record and return a new one, so the runner can
apply them inside one write transaction and the transitions can be tested without a server.

Statuses follow the SageMaker developer guide. TrainingJobStatus is InProgress, then
Completed, Failed or Stopped (Stopping in between after StopTrainingJob). SecondaryStatus
moves Starting -> [Pending] -> Downloading -> Training -> Uploading -> Completed, or ends in
Failed, Stopped or MaxRuntimeExceeded; every change appends a SecondaryStatusTransitions entry
and closes the previous one (its EndTime is the next one's StartTime).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from mlci.cloud.services.sagemaker.records import Record, copy_members

DEFAULT_MAX_RUNTIME_SECONDS = 86_400  # SageMaker's default StoppingCondition: one day
ACTIVE_STATUSES = ("InProgress", "Stopping")  # what a job can be in while it runs
FAILURE_REASON_LIMIT = 1024

# The status messages SageMaker shows for each secondary status (the SDK prints them).
MESSAGES = {
    "Starting": "Starting the training job",
    "Pending": "Waiting for a free training slot",
    "Downloading": "Downloading input data",
    "Training": "Training image download completed. Training in progress.",
    "Uploading": "Uploading generated training model",
    "Completed": "Training job completed",
    "Failed": "Training job failed",
    "Stopping": "Stopping the training job",
    "Stopped": "Training job stopped",
    "MaxRuntimeExceeded": "Training job stopped: it exceeded StoppingCondition.MaxRuntimeInSeconds",
}
INTERRUPTED = "interrupted: the cloud restarted while the job was running"

# CreateTrainingJob members that DescribeTrainingJob echoes as given.
_ECHOED = (
    "HyperParameters",
    "RoleArn",
    "OutputDataConfig",
    "ResourceConfig",
    "VpcConfig",
    "CheckpointConfig",
    "DebugHookConfig",
    "DebugRuleConfigurations",
    "TensorBoardOutputConfig",
    "ExperimentConfig",
    "ProfilerConfig",
    "ProfilerRuleConfigurations",
    "Environment",
    "RetryStrategy",
    "RemoteDebugConfig",
    "InfraCheckConfig",
)


def new_record(params: Mapping[str, Any], arn: str, now: float) -> Record:
    """The record of a job CreateTrainingJob has just accepted: InProgress / Starting."""
    stopping = dict(params.get("StoppingCondition") or {})
    stopping.setdefault("MaxRuntimeInSeconds", DEFAULT_MAX_RUNTIME_SECONDS)
    return {
        "TrainingJobName": params["TrainingJobName"],
        "TrainingJobArn": arn,
        "TrainingJobStatus": "InProgress",
        "SecondaryStatus": "Starting",
        **copy_members(params, _ECHOED),
        "HyperParameters": dict(params.get("HyperParameters") or {}),
        "AlgorithmSpecification": _algorithm(params.get("AlgorithmSpecification") or {}),
        "InputDataConfig": [_channel(c) for c in params.get("InputDataConfig") or []],
        "StoppingCondition": stopping,
        "CreationTime": now,
        "LastModifiedTime": now,
        "SecondaryStatusTransitions": [
            {"Status": "Starting", "StartTime": now, "StatusMessage": MESSAGES["Starting"]}
        ],
        "EnableNetworkIsolation": bool(params.get("EnableNetworkIsolation", False)),
        "EnableInterContainerTrafficEncryption": bool(
            params.get("EnableInterContainerTrafficEncryption", False)
        ),
        "EnableManagedSpotTraining": bool(params.get("EnableManagedSpotTraining", False)),
    }


def _algorithm(spec: Mapping[str, Any]) -> Record:
    return {"EnableSageMakerMetricsTimeSeries": False, **spec}


def _channel(channel: Mapping[str, Any]) -> Record:
    """A channel as Describe shows it, with the defaults SageMaker fills in."""
    shown: Record = {"CompressionType": "None", "RecordWrapperType": "None", **channel}
    source = shown.get("DataSource", {}).get("S3DataSource")
    if source is not None:
        shown["DataSource"] = {
            **shown["DataSource"],
            "S3DataSource": {"S3DataDistributionType": "FullyReplicated", **source},
        }
    return shown


def transition(record: Mapping[str, Any], secondary: str, now: float, message: str = "") -> Record:
    """`record` moved to SecondaryStatus `secondary` at `now`."""
    transitions = [dict(t) for t in record.get("SecondaryStatusTransitions", [])]
    if transitions and "EndTime" not in transitions[-1]:
        transitions[-1]["EndTime"] = now
    transitions.append(
        {"Status": secondary, "StartTime": now, "StatusMessage": message or MESSAGES[secondary]}
    )
    changed = {**record, "SecondaryStatus": secondary, "LastModifiedTime": now}
    changed["SecondaryStatusTransitions"] = transitions
    if secondary == "Downloading" and "TrainingStartTime" not in record:
        changed["TrainingStartTime"] = now
    return changed


def stopping(record: Mapping[str, Any], now: float) -> Record:
    return {**transition(record, "Stopping", now), "TrainingJobStatus": "Stopping"}


def finished(
    record: Mapping[str, Any],
    status: str,
    secondary: str,
    now: float,
    failure_reason: str | None = None,
    metrics: Sequence[tuple[str, float]] = (),
    model_uri: str | None = None,
) -> Record:
    """The terminal record: status, the last transition (closed at once), times, results."""
    done = transition(record, secondary, now)
    done["SecondaryStatusTransitions"][-1]["EndTime"] = now
    done["TrainingJobStatus"] = status
    done["TrainingEndTime"] = now
    seconds = _billable_seconds(record.get("TrainingStartTime"), now)
    if seconds is not None:
        done["TrainingTimeInSeconds"] = done["BillableTimeInSeconds"] = seconds
    if failure_reason:
        done["FailureReason"] = failure_reason[:FAILURE_REASON_LIMIT]
    if metrics:
        done["FinalMetricDataList"] = [
            {"MetricName": name, "Value": value, "Timestamp": now} for name, value in metrics
        ]
    if model_uri is not None:
        done["ModelArtifacts"] = {"S3ModelArtifacts": model_uri}
    return done


def _billable_seconds(started: float | None, ended: float) -> int | None:
    # SageMaker bills whole seconds and never reports a job that ran as taking 0 s.
    if started is None:
        return None
    return max(1, math.ceil(ended - started))


def interrupted(record: Mapping[str, Any], now: float) -> Record:
    """A job found InProgress or Stopping when the cloud starts: it died with the cloud."""
    return finished(record, "Failed", "Failed", now, failure_reason=INTERRUPTED)
