"""Recent invocations per endpoint variant, from CloudWatch's AWS/SageMaker metrics
(`Invocations` summed, `ModelLatency` averaged, in microseconds as SageMaker reports it),
one GetMetricData call for every variant on the page."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

WINDOW_SECONDS = 15 * 60
NAMESPACE = "AWS/SageMaker"


@dataclass(frozen=True)
class Usage:
    invocations: float
    latency_ms: float | None  # mean model latency over the window


@dataclass(frozen=True)
class UsageReport:
    by_variant: dict[tuple[str, str], Usage]  # (endpoint, variant) -> usage
    unavailable: str  # why there are no figures ("" when there are)


def _query(index: int, metric: str, stat: str, endpoint: str, variant: str) -> dict[str, Any]:
    return {
        "Id": f"m{index}",
        "MetricStat": {
            "Metric": {
                "Namespace": NAMESPACE,
                "MetricName": metric,
                "Dimensions": [
                    {"Name": "EndpointName", "Value": endpoint},
                    {"Name": "VariantName", "Value": variant},
                ],
            },
            "Period": WINDOW_SECONDS,
            "Stat": stat,
        },
        "ReturnData": True,
    }


def usage(cloudwatch: Any, variants: list[tuple[str, str]]) -> UsageReport:
    from botocore.exceptions import BotoCoreError, ClientError

    if not variants:
        return UsageReport({}, "")
    queries = []
    for i, (endpoint, variant) in enumerate(variants):
        queries.append(_query(2 * i, "Invocations", "Sum", endpoint, variant))
        queries.append(_query(2 * i + 1, "ModelLatency", "Average", endpoint, variant))
    now = time.time()
    try:
        answer = cloudwatch.get_metric_data(
            MetricDataQueries=queries[:500],
            StartTime=now - WINDOW_SECONDS,
            EndTime=now,
        )
    except ClientError as exc:
        return UsageReport({}, str(exc.response.get("Error", {}).get("Message") or exc))
    except BotoCoreError as exc:
        return UsageReport({}, str(exc))
    values = {r["Id"]: sum(r.get("Values") or []) for r in answer.get("MetricDataResults", [])}
    found = {}
    for i, key in enumerate(variants):
        count = values.get(f"m{2 * i}", 0.0)
        latency = values.get(f"m{2 * i + 1}")
        found[key] = Usage(count, latency / 1000.0 if count and latency is not None else None)
    return UsageReport(found, "")
