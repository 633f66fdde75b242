"""`mlci approve` and `mlci cancel`: release a workflow on hold, or stop a pipeline or a held
workflow."""

from __future__ import annotations

from pathlib import Path

import click

from mlci.cli._pipeline import echo_json, expected_errors, json_option, repo_option
from mlci.cli.run import _reporter, aws_option, finish, jobs_option, options_for
from mlci.pipeline import operations
from mlci.pipeline.summary import summary_lines
from mlci.pipeline.views import pipeline_json


def pipeline_and_workflow(first: str | None, second: str | None) -> tuple[int | None, str | None]:
    """`approve [PIPELINE] [WORKFLOW]`, where a lone non-number is the workflow."""
    if first is None:
        return None, None
    if first.isdigit():
        return int(first), second
    if second is not None:
        raise click.UsageError(f"the pipeline is a number, not {first!r}")
    return None, first


@click.command()
@click.argument("pipeline", required=False)
@click.argument("workflow", required=False)
@click.option("--job", metavar="NAME", help="The approval job, if a workflow waits on several.")
@aws_option
@jobs_option
@json_option
@repo_option
@expected_errors
def approve(
    pipeline: str | None,
    workflow: str | None,
    job: str | None,
    aws: str,
    max_parallel: int | None,
    as_json: bool,
    directory: str,
) -> None:
    """Approve a workflow on hold (default: the newest) and run what follows it.

    PIPELINE defaults to the newest pipeline with something on hold; WORKFLOW may be given
    alone. If the choice is ambiguous, the candidates are listed."""
    number, workflow = pipeline_and_workflow(pipeline, workflow)
    reporter = _reporter(as_json)
    try:
        held, outcome = operations.approve(
            Path(directory),
            reporter,
            options_for(aws, max_parallel),
            number=number,
            workflow=workflow,
            job=job,
        )
    finally:
        reporter.close()
    if outcome is not None:
        finish(outcome, as_json)
    elif as_json:
        echo_json({"approved": held.describe(), "pipeline": held.pipeline})


@click.command()
@click.argument("pipeline", required=False)
@click.argument("workflow", required=False)
@click.option("--job", metavar="NAME", help="The approval job, if a workflow waits on several.")
@json_option
@repo_option
@expected_errors
def cancel(
    pipeline: str | None, workflow: str | None, job: str | None, as_json: bool, directory: str
) -> None:
    """Cancel a pipeline (default: the newest running or on hold), or one workflow of it
    that waits for approval: that workflow ends canceled, the others go on."""
    number, workflow = pipeline_and_workflow(pipeline, workflow)
    reporter = _reporter(as_json)
    try:
        if workflow is None:
            view = operations.cancel(Path(directory), reporter, number)
        else:
            view = operations.reject(
                Path(directory), reporter, number=number, workflow=workflow, job=job
            )
    finally:
        reporter.close()
    if as_json:
        echo_json(pipeline_json(view))
    else:
        click.echo("\n".join(summary_lines(view)))
