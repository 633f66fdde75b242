"""`mlci logs`: a job's log, secrets already masked; `-f` follows it while the job runs."""

from __future__ import annotations

import json
from pathlib import Path

import click

from mlci.cli._pipeline import echo_json, expected_errors, json_option, repo_option
from mlci.pipeline.job_logs import find_job, follow, log_path, read_lines
from mlci.pipeline.operations import open_store


@click.command()
@click.argument("pipeline", type=int)
@click.argument("job")
@click.option("-f", "--follow", "following", is_flag=True, help="Keep printing until it ends.")
@json_option
@repo_option
@expected_errors
def logs(pipeline: int, job: str, following: bool, as_json: bool, directory: str) -> None:
    """Print the log of JOB (a name, workflow/name or build number) of PIPELINE."""
    _, store = open_store(Path(directory))
    row = find_job(store, pipeline, job)
    if following:
        for line in follow(store, pipeline, row):
            click.echo(json.dumps({"line": line}) if as_json else line)
        return
    lines = read_lines(log_path(store, pipeline, row))
    if as_json:
        echo_json(
            {
                "pipeline": pipeline,
                "job": row.name,
                "build_num": row.build_num,
                "status": row.status,
                "lines": lines,
            }
        )
        return
    if lines:
        click.echo("\n".join(lines))
