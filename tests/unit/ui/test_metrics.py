"""Metrics of a package, how versions compare, and the plot of a metric across versions."""

from __future__ import annotations

import json

from mlci.ui import metrics, plot


def test_the_training_job_comes_from_metadata_else_from_the_model_data_path() -> None:
    named = {"CustomerMetadataProperties": {"training_job": "job-a"}}
    assert metrics.training_job_of(named) == "job-a"
    path = {
        "InferenceSpecification": {
            "Containers": [{"ModelDataUrl": "s3://b/models/job-b/output/model.tar.gz"}]
        }
    }
    assert metrics.training_job_of(path) == "job-b"
    assert metrics.training_job_of({"InferenceSpecification": {"Containers": [{}]}}) is None


def test_final_metrics_and_statistics_files_keep_only_finite_numbers() -> None:
    job = {
        "FinalMetricDataList": [
            {"MetricName": "validation:rmse", "Value": 2.5},
            {"MetricName": "train:rmse", "Value": float("nan")},
        ]
    }
    assert metrics.from_training_job(job) == {"validation:rmse": 2.5}
    document = {
        "regression_metrics": {"rmse": {"value": 1.5}, "mae": {"value": "x"}, "odd": 3},
        "note": "text",
    }
    assert metrics.from_statistics(json.dumps(document).encode()) == {"rmse": 1.5}
    assert metrics.from_statistics(b"not json") == {}
    assert metrics.from_statistics(b"[1, 2]") == {}


def test_deltas_say_better_or_worse_by_the_metric_s_direction() -> None:
    deltas = {
        d.name: d
        for d in metrics.compare(
            {"validation:rmse": 2.0, "validation:auc": 0.8, "custom": 1.0, "only-new": 1.0},
            {"validation:rmse": 2.5, "validation:auc": 0.9, "custom": 2.0},
        )
    }
    assert deltas["validation:rmse"].verdict == "better"
    assert deltas["validation:rmse"].change == -0.5
    assert deltas["validation:auc"].verdict == "worse"
    assert deltas["custom"].verdict == ""  # direction unknown: no verdict
    assert deltas["only-new"].change is None and deltas["only-new"].deployed is None
    same = metrics.compare({"validation:rmse": 1.0}, {"validation:rmse": 1.0})
    assert same[0].verdict == "same"


def test_the_plotted_metric_is_the_validation_metric_most_versions_have() -> None:
    rows = [{"train:rmse": 1.0, "validation:rmse": 2.0}, {"validation:rmse": 3.0}, {"x": 1.0}]
    assert metrics.plotted_metric(rows, None) == "validation:rmse"
    assert metrics.plotted_metric(rows, "train:rmse") == "train:rmse"
    assert metrics.plotted_metric(rows, "unknown") == "validation:rmse"
    assert metrics.plotted_metric([], None) is None


def test_the_plot_escapes_the_metric_name_and_rings_served_versions() -> None:
    svg = plot.line_plot([(1, 2.0), (2, 1.5), (3, 1.5)], "<script>x</script>", highlight={2})
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert svg.count("<circle") == 3
    assert svg.count('class="dot served"') == 1
    assert "v1" in svg and "v3" in svg
    assert plot.line_plot([], "m") == ""
    flat = plot.line_plot([(4, 7.0)], "m")  # one point, no span: still drawn
    assert flat.count("<circle") == 1
