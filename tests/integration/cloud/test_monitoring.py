"""CloudWatch's AWS/SageMaker invocation metrics with boto3: what InvokeEndpoint recorded,
by GetMetricData and GetMetricStatistics; other metrics have no data; refusals name why."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from tests.conftest import RunningCloud
from tests.integration.cloud.hosting_support import abalone_model, config_for, endpoint, invoke


def query(qid: str, metric: str, stat: str, name: str, variant: str = "AllTraffic") -> dict:  # type: ignore[type-arg]
    dimensions = [
        {"Name": "EndpointName", "Value": name},
        {"Name": "VariantName", "Value": variant},
    ]
    return {
        "Id": qid,
        "MetricStat": {
            "Metric": {
                "Namespace": "AWS/SageMaker",
                "MetricName": metric,
                "Dimensions": dimensions,
            },
            "Period": 900,
            "Stat": stat,
        },
    }


def test_invocations_and_latency_of_an_endpoint(cloud: RunningCloud) -> None:
    model = abalone_model()
    cloudwatch = cloud.client("cloudwatch")
    with endpoint(cloud, config_for(cloud, model)) as name:
        for _ in range(3):
            invoke(cloud, name, model.csv(model.features[:2]))
        with pytest.raises(ClientError, match="ModelError"):
            invoke(cloud, name, b"1,2\n")  # wrong number of features: the model refuses
        now = time.time()
        answer = cloudwatch.get_metric_data(
            MetricDataQueries=[
                query("calls", "Invocations", "Sum", name),
                query("latency", "ModelLatency", "Average", name),
                query("errors", "Invocation4XXErrors", "Sum", name),
                query("other", "Invocations", "Sum", name, variant="Nope"),
                query("cpu", "CPUUtilization", "Average", name),
            ],
            StartTime=now - 900,
            EndTime=now + 60,
        )
        results = {r["Id"]: r for r in answer["MetricDataResults"]}
        assert sum(results["calls"]["Values"]) == 4
        assert sum(results["errors"]["Values"]) == 1
        assert 0 < results["latency"]["Values"][0] < 10_000_000  # microseconds
        assert results["other"]["Values"] == [] and results["cpu"]["Values"] == []
        assert results["calls"]["StatusCode"] == "Complete"
        stats = cloudwatch.get_metric_statistics(
            Namespace="AWS/SageMaker",
            MetricName="Invocations",
            Dimensions=[
                {"Name": "EndpointName", "Value": name.upper()},  # names ignore case
                {"Name": "VariantName", "Value": "AllTraffic"},
            ],
            StartTime=now - 900,
            EndTime=now + 60,
            Period=900,
            Statistics=["Sum", "SampleCount"],
        )
        assert sum(p["Sum"] for p in stats["Datapoints"]) == 4


def test_metric_math_and_odd_periods_are_refused(cloud: RunningCloud) -> None:
    cloudwatch = cloud.client("cloudwatch")
    now = time.time()
    with pytest.raises(ClientError, match="does not evaluate metric math"):
        cloudwatch.get_metric_data(
            MetricDataQueries=[{"Id": "m", "Expression": "SUM(METRICS())"}],
            StartTime=now - 60,
            EndTime=now,
        )
    odd = query("m", "Invocations", "Sum", "e")
    odd["MetricStat"]["Period"] = 90
    with pytest.raises(ClientError, match="Period must be a multiple of 60"):
        cloudwatch.get_metric_data(MetricDataQueries=[odd], StartTime=now - 60, EndTime=now)
    with pytest.raises(ClientError, match="does not implement"):
        cloudwatch.put_metric_data(Namespace="x", MetricData=[{"MetricName": "m", "Value": 1}])
