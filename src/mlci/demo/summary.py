"""The table the demo ends with: each pipeline and its jobs, then each model's versions,
endpoint and validation metric, read back from the runner's state and the cloud."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.table import Table

from mlci.demo.story import MODELS, Player

TRAIN_STEP = "Train and register"  # the example's step name begins so


def pipeline_table(player: Player) -> Table:
    """One row per job of each model workflow (the setup workflow left out)."""
    table = Table(title="Pipelines and jobs", box=box.ASCII, title_justify="left")
    for column in ("#", "branch", "pipeline", "workflow", "job", "status", "duration"):
        table.add_column(column)
    for number in sorted(set(player.pipelines.values())):
        pipeline = player.status(number)
        first = [str(number), pipeline["branch"] or "", pipeline["status"]]
        for workflow in pipeline["workflows"]:
            if workflow["kind"] == "setup":
                continue
            for job in workflow["jobs"]:
                took = "" if job["duration"] is None else f"{job['duration']:.1f}s"
                table.add_row(*first, workflow["name"], job["name"], job["status"], took)
                first = ["", "", ""]
        table.add_row("", "", "", "", "(pipeline wall time)", "", f"{wall_seconds(pipeline):.1f}s")
    return table


def wall_seconds(pipeline: dict[str, Any]) -> float:
    stops = [j["stopped_at"] for w in pipeline["workflows"] for j in w["jobs"] if j["stopped_at"]]
    return max(stops, default=pipeline["created_at"]) - pipeline["created_at"]


def train_register_seconds(pipelines: list[dict[str, Any]], model: str) -> list[float]:
    """The duration of each `Train and register` step of `model`'s train jobs."""
    found = []
    for pipeline in pipelines:
        for workflow in pipeline["workflows"]:
            for job in workflow["jobs"]:
                if job["name"] != f"{model}-train":
                    continue
                for step in job["steps"]:
                    if step["name"].startswith(TRAIN_STEP) and step["stopped_at"]:
                        found.append(step["stopped_at"] - step["started_at"])
    return found


def model_table(player: Player) -> Table:
    sm = player.cloud.client("sagemaker")
    pipelines = [player.status(n) for n in sorted(set(player.pipelines.values()))]
    table = Table(title="Models", box=box.ASCII, title_justify="left")
    for column in ("model", "versions", "endpoint", "validation metric", "train+register"):
        table.add_column(column)
    for model in MODELS:
        packages = sm.list_model_packages(ModelPackageGroupName=model)["ModelPackageSummaryList"]
        versions = ", ".join(
            f"v{p['ModelPackageVersion']} {p['ModelApprovalStatus']}"
            for p in sorted(packages, key=lambda p: p["ModelPackageVersion"])
        )
        timings = ", ".join(f"{s:.1f}s" for s in train_register_seconds(pipelines, model))
        table.add_row(
            model, versions or "none", endpoint_text(sm, model), metric_text(sm, packages), timings
        )
    return table


def endpoint_text(sm: Any, name: str) -> str:
    try:
        described = sm.describe_endpoint(EndpointName=name)
    except sm.exceptions.ClientError:
        return "none"
    variant = described.get("ProductionVariants", [{}])[0].get("VariantName", "?")
    return f"{name} {described['EndpointStatus']} ({described['EndpointConfigName']}, {variant})"


def metric_text(sm: Any, packages: list[dict[str, Any]]) -> str:
    """The newest package's validation metric, from the training job it records."""
    if not packages:
        return ""
    newest = max(packages, key=lambda p: p["ModelPackageVersion"])
    described = sm.describe_model_package(ModelPackageName=newest["ModelPackageArn"])
    job = described.get("CustomerMetadataProperties", {}).get("training_job")
    if not job:
        return "?"
    metrics = sm.describe_training_job(TrainingJobName=job).get("FinalMetricDataList", [])
    return ", ".join(
        f"{m['MetricName']} {m['Value']:.4g}" for m in metrics if "validation" in m["MetricName"]
    )
