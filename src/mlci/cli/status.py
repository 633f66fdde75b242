"""`mlci status`: a pipeline's workflows, jobs and steps as they are now."""

from __future__ import annotations

from pathlib import Path

import click

from mlci.cli._pipeline import echo_json, expected_errors, json_option, repo_option
from mlci.pipeline.errors import PipelineError
from mlci.pipeline.operations import open_store
from mlci.pipeline.summary import summary_lines
from mlci.pipeline.views import pipeline_json, pipeline_view


@click.command()
@click.argument("pipeline", type=int, required=False)
@click.option("--steps", is_flag=True, help="Show each job's steps too.")
@click.option("--list", "as_list", is_flag=True, help="One line per recent pipeline.")
@json_option
@repo_option
@expected_errors
def status(pipeline: int | None, steps: bool, as_list: bool, as_json: bool, directory: str) -> None:
    """Show a pipeline (default: the newest): workflows, jobs, steps, statuses, durations."""
    _, store = open_store(Path(directory))
    if as_list:
        views = [pipeline_view(store, row.number, details=False) for row in store.pipelines(20)]
        if as_json:
            echo_json([pipeline_json(view) for view in views])
            return
        for view in views:
            row = view.row
            click.echo(f"{row.number:>5}  {view.status:<12} {row.branch}  {row.revision[:12]}")
        return
    if pipeline is None:
        latest = store.latest_pipeline()
        if latest is None:
            raise PipelineError("no pipeline has run in this repository yet (try mlci run)")
        pipeline = latest.number
    view = pipeline_view(store, pipeline)
    if as_json:
        echo_json(pipeline_json(view))
    else:
        click.echo("\n".join(summary_lines(view, steps=steps)))
