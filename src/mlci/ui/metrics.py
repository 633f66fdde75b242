"""A model package's metrics, and how two versions compare.

The metrics are the training job's `FinalMetricDataList` (the job is named in the package's
CustomerMetadataProperties `training_job`, else read from its model data path
`…/<job>/output/model.tar.gz`). A package without a readable job falls back to its
ModelMetrics model-quality statistics file, the form SageMaker Model Monitor writes
(`{"regression_metrics": {"rmse": {"value": …}}}`).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

_JOB_IN_PATH = re.compile(r"/([^/]+)/output/model\.tar\.gz$")
# Metric names (after "train:" / "validation:") where a smaller value is better; the others
# known to be "higher is better". Anything else is shown without a verdict.
_LOWER_BETTER = re.compile(r"(rmse|rmsle|mae|mse|mape|logloss|error|loss|nloglik|deviance)")
_HIGHER_BETTER = re.compile(r"(auc|map|ndcg|accuracy|f1|precision|recall|r2)")
MAX_STATISTICS_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Metrics:
    values: dict[str, float]
    source: str  # "training job <name>", "model quality statistics", or why there are none


def training_job_of(package: dict[str, Any]) -> str | None:
    named = (package.get("CustomerMetadataProperties") or {}).get("training_job")
    if named:
        return str(named)
    containers = (package.get("InferenceSpecification") or {}).get("Containers") or []
    for container in containers:
        match = _JOB_IN_PATH.search(str(container.get("ModelDataUrl", "")))
        if match:
            return match.group(1)
    return None


def from_training_job(described: dict[str, Any]) -> dict[str, float]:
    return {
        str(m["MetricName"]): float(m["Value"])
        for m in described.get("FinalMetricDataList") or []
        if _finite(m.get("Value"))
    }


def from_statistics(document: bytes) -> dict[str, float]:
    """Metric values from a model-quality statistics JSON (any problem type)."""
    try:
        parsed = json.loads(document)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}
    values: dict[str, float] = {}
    if not isinstance(parsed, dict):
        return values
    for group in parsed.values():
        if not isinstance(group, dict):
            continue
        for name, entry in group.items():
            value = entry.get("value") if isinstance(entry, dict) else None
            if value is not None and _finite(value):
                values[str(name)] = float(value)
    return values


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def read_metrics(sm: Any, s3: Any, package: dict[str, Any]) -> Metrics:
    from botocore.exceptions import BotoCoreError, ClientError

    job = training_job_of(package)
    if job:
        try:
            values = from_training_job(sm.describe_training_job(TrainingJobName=job))
            if values:
                return Metrics(values, f"training job {job}")
        except ClientError:
            pass  # deleted or never ours: try the statistics file
    uri = (
        ((package.get("ModelMetrics") or {}).get("ModelQuality") or {}).get("Statistics") or {}
    ).get("S3Uri")
    if uri and uri.startswith("s3://"):
        bucket, _, key = uri[5:].partition("/")
        try:
            body = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{MAX_STATISTICS_BYTES}")
            values = from_statistics(body["Body"].read())
            if values:
                return Metrics(values, "model quality statistics")
        except (ClientError, BotoCoreError):
            pass
    reason = f"training job {job} has no metrics" if job else "no training job is recorded"
    return Metrics({}, reason)


def better_when_lower(name: str) -> bool | None:
    short = name.split(":", 1)[-1].lower()
    if _LOWER_BETTER.search(short):
        return True
    if _HIGHER_BETTER.search(short):
        return False
    return None


@dataclass(frozen=True)
class Delta:
    name: str
    new: float | None
    deployed: float | None
    change: float | None
    verdict: str  # "better", "worse", "same", or "" when it cannot be told


def compare(new: dict[str, float], deployed: dict[str, float]) -> list[Delta]:
    deltas = []
    for name in sorted(set(new) | set(deployed)):
        a, b = new.get(name), deployed.get(name)
        if a is None or b is None:
            deltas.append(Delta(name, a, b, None, ""))
            continue
        change = a - b
        lower = better_when_lower(name)
        if change == 0:
            verdict = "same"
        elif lower is None:
            verdict = ""
        else:
            verdict = "better" if (change < 0) == lower else "worse"
        deltas.append(Delta(name, a, b, change, verdict))
    return deltas


def plotted_metric(per_version: list[dict[str, float]], wanted: str | None) -> str | None:
    """The metric to plot: the one asked for, else the validation metric most versions have."""
    counts: dict[str, int] = {}
    for values in per_version:
        for name in values:
            counts[name] = counts.get(name, 0) + 1
    if wanted and wanted in counts:
        return wanted
    if not counts:
        return None
    return max(counts, key=lambda n: (n.startswith("validation:"), counts[n], n))
