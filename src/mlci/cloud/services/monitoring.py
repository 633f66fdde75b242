"""CloudWatch (`monitoring`), read-only and only for SageMaker endpoints' invocation metrics:
GetMetricData and GetMetricStatistics over namespace AWS/SageMaker, metrics Invocations,
Invocation4XXErrors, Invocation5XXErrors and ModelLatency (microseconds), dimensions
EndpointName + VariantName, from what the runtime recorded (`hosting/usage.py`). Any other
namespace or metric has no data points, as in CloudWatch; metric math is refused by name.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlci.cloud.errors import AwsError
from mlci.cloud.hosting.usage import Minute, Usage, usage_for
from mlci.cloud.protocols.json_rpc import JsonRpcService
from mlci.cloud.service import Context, Service

NAMESPACE = "AWS/SageMaker"
MAX_QUERIES = 500
# metric -> (value per minute, how minutes combine for each statistic)
_COUNTS: dict[str, Callable[[Minute], float]] = {
    "Invocations": lambda m: float(m.invocations),
    "Invocation4XXErrors": lambda m: float(m.errors_4xx),
    "Invocation5XXErrors": lambda m: float(m.errors_5xx),
}


def _aggregate(metric: str, stat: str, minutes: list[Minute]) -> float | None:
    if not minutes:
        return None
    if metric == "ModelLatency":
        samples = sum(m.invocations for m in minutes)
        values = {
            "Average": sum(m.latency_us_total for m in minutes) / max(samples, 1),
            "Sum": sum(m.latency_us_total for m in minutes),
            "Minimum": min(m.latency_us_min for m in minutes),
            "Maximum": max(m.latency_us_max for m in minutes),
            "SampleCount": float(samples),
        }
    else:
        per_minute = [_COUNTS[metric](m) for m in minutes]
        values = {
            "Sum": sum(per_minute),
            "Average": sum(per_minute) / len(per_minute),
            "Minimum": min(per_minute),
            "Maximum": max(per_minute),
            "SampleCount": float(len(per_minute)),
        }
    if stat not in values:
        raise AwsError("InvalidParameterValue", f"mlci cloud does not compute statistic {stat}")
    return values[stat]


class Metrics:
    def __init__(self, usage: Usage) -> None:
        self.usage = usage

    def series(
        self, ctx: Context, metric: dict[str, Any], stat: str, period: int, start: float, end: float
    ) -> list[tuple[float, float]]:
        """(period start, value) for every period with data, oldest first."""
        name = metric.get("MetricName", "")
        dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions") or []}
        if metric.get("Namespace") != NAMESPACE or name not in (*_COUNTS, "ModelLatency"):
            return []
        if set(dims) != {"EndpointName", "VariantName"}:
            return []
        if period <= 0 or period % 60:
            raise AwsError(
                "InvalidParameterValue", f"Period must be a multiple of 60, not {period}"
            )
        minutes = self.usage.minutes(
            ctx.region, dims["EndpointName"], dims["VariantName"], start, end
        )
        buckets: dict[float, list[Minute]] = {}
        for minute_start, minute in minutes:
            bucket = start + (minute_start - start) // period * period
            buckets.setdefault(bucket, []).append(minute)
        points: list[tuple[float, float]] = []
        for at in sorted(buckets):
            value = _aggregate(name, stat, buckets[at])
            if value is not None:
                points.append((at, value))
        return points

    def get_metric_data(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        queries = params["MetricDataQueries"]
        if len(queries) > MAX_QUERIES:
            raise AwsError("InvalidParameterValue", f"at most {MAX_QUERIES} MetricDataQueries")
        start, end = float(params["StartTime"]), float(params["EndTime"])
        results = []
        for query in queries:
            stat = query.get("MetricStat")
            if stat is None:
                raise AwsError(
                    "InvalidParameterValue",
                    f"query {query['Id']}: mlci cloud does not evaluate metric math (Expression)",
                )
            points = self.series(ctx, stat["Metric"], stat["Stat"], int(stat["Period"]), start, end)
            newest_first = sorted(points, reverse=True)  # CloudWatch's default ScanBy
            results.append(
                {
                    "Id": query["Id"],
                    "Label": query.get("Label") or stat["Metric"].get("MetricName", ""),
                    "Timestamps": [at for at, _ in newest_first],
                    "Values": [value for _, value in newest_first],
                    "StatusCode": "Complete",
                }
            )
        return {"MetricDataResults": results, "Messages": []}

    def get_metric_statistics(self, params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        start, end = float(params["StartTime"]), float(params["EndTime"])
        metric = {k: params.get(k) for k in ("Namespace", "MetricName", "Dimensions")}
        datapoints: dict[float, dict[str, Any]] = {}
        for stat in params.get("Statistics") or []:
            for at, value in self.series(ctx, metric, stat, int(params["Period"]), start, end):
                datapoints.setdefault(at, {"Timestamp": at})[stat] = value
        return {"Label": params["MetricName"], "Datapoints": list(datapoints.values())}


def create(home: Path) -> list[Service]:
    metrics = Metrics(usage_for(home))
    operations = {
        "GetMetricData": metrics.get_metric_data,
        "GetMetricStatistics": metrics.get_metric_statistics,
    }
    return [JsonRpcService("monitoring", "cloudwatch", operations)]
