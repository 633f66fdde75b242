"""What a training job is given and what it reports, plus their JSON form for the worker.

Spec JSON (what the cloud writes for `python -m mlci.algorithms.xgboost.worker --spec`):

    {"channels": {"train": {"path": "...", "content_type": "text/csv"},
                  "validation": {"path": "...", "content_type": "text/csv"}},
     "hyperparameters": {"num_round": "50", ...},        # strings, as in CreateTrainingJob
     "model_dir": "...",                                  # xgboost-model is written here
     "result_path": "...",                                # worker only: where result.json goes
     "max_runtime_seconds": 86400,                        # optional
     "nthread": 2}                                        # optional: cores the job may use

Result JSON: {"status": "Completed" | "Failed" | "Stopped", "secondary_status": "Completed" |
"Failed" | "MaxRuntimeExceeded" | "Stopped", "failure_reason": str | null, "final_metrics":
[{"MetricName": "validation:rmse", "Value": 2.1}], "model_path": str | null,
"rounds_trained": int, "best_iteration": int | null, "training_seconds": float}.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["Completed", "Failed", "Stopped"]
MODEL_NAME = "xgboost-model"  # the model file in the output directory, as in the container


def _discard(line: str) -> None:
    del line


@dataclass(frozen=True)
class ChannelSpec:
    path: str
    content_type: str | None = None


@dataclass(frozen=True)
class TrainingSpec:
    channels: Mapping[str, ChannelSpec]
    hyperparameters: Mapping[str, str]
    model_dir: str
    max_runtime_seconds: float | None = None
    nthread: int | None = None
    # Receives each log line (CloudWatch form, see `logs`) as soon as it is produced.
    log: Callable[[str], None] = field(default=_discard, compare=False)

    @classmethod
    def from_json(cls, document: Mapping[str, Any], log: Callable[[str], None]) -> TrainingSpec:
        """Build a spec from its JSON form; raise ValueError naming a missing or bad field."""
        channels = document.get("channels")
        if not isinstance(channels, dict) or not all(
            isinstance(c, dict) and isinstance(c.get("path"), str) for c in channels.values()
        ):
            raise ValueError("spec field 'channels' must map names to {'path': ..., ...}")
        hyperparameters = document.get("hyperparameters", {})
        if not isinstance(hyperparameters, dict):
            raise ValueError("spec field 'hyperparameters' must be an object")
        model_dir = document.get("model_dir")
        if not isinstance(model_dir, str):
            raise ValueError("spec field 'model_dir' must be a path")
        return cls(
            channels={
                name: ChannelSpec(c["path"], c.get("content_type")) for name, c in channels.items()
            },
            hyperparameters=hyperparameters,
            model_dir=model_dir,
            max_runtime_seconds=_optional_number(document, "max_runtime_seconds"),
            nthread=_optional_int(document, "nthread"),
            log=log,
        )

    def to_json(self, result_path: str | None = None) -> dict[str, Any]:
        """The spec file a worker reads; `result_path` says where it writes result.json."""
        document: dict[str, Any] = {
            "channels": {
                name: {"path": c.path, "content_type": c.content_type}
                for name, c in self.channels.items()
            },
            "hyperparameters": dict(self.hyperparameters),
            "model_dir": self.model_dir,
            "max_runtime_seconds": self.max_runtime_seconds,
            "nthread": self.nthread,
        }
        if result_path is not None:
            document["result_path"] = result_path
        return document


def _optional_number(document: Mapping[str, Any], key: str) -> float | None:
    value = document.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ValueError(f"spec field {key!r} must be a positive number")
    return float(value)


def _optional_int(document: Mapping[str, Any], key: str) -> int | None:
    value = _optional_number(document, key)
    if value is not None and not value.is_integer():
        raise ValueError(f"spec field {key!r} must be a positive integer")
    return None if value is None else int(value)


@dataclass(frozen=True)
class FinalMetric:
    name: str  # "train:rmse", "validation:auc", ... as in FinalMetricDataList
    value: float


@dataclass(frozen=True)
class TrainingResult:
    status: Status
    secondary_status: str
    failure_reason: str | None = None
    final_metrics: tuple[FinalMetric, ...] = ()
    model_path: str | None = None
    rounds_trained: int = 0
    best_iteration: int | None = None
    training_seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "secondary_status": self.secondary_status,
            "failure_reason": self.failure_reason,
            "final_metrics": [{"MetricName": m.name, "Value": m.value} for m in self.final_metrics],
            "model_path": self.model_path,
            "rounds_trained": self.rounds_trained,
            "best_iteration": self.best_iteration,
            "training_seconds": self.training_seconds,
        }

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> TrainingResult:
        return cls(
            status=document["status"],
            secondary_status=document["secondary_status"],
            failure_reason=document.get("failure_reason"),
            final_metrics=tuple(
                FinalMetric(m["MetricName"], float(m["Value"]))
                for m in document.get("final_metrics", [])
            ),
            model_path=document.get("model_path"),
            rounds_trained=int(document.get("rounds_trained", 0)),
            best_iteration=document.get("best_iteration"),
            training_seconds=float(document.get("training_seconds", 0.0)),
        )


def dumps(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True)
