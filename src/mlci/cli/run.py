"""`mlci run` and `mlci rerun`: run a pipeline for this revision, or run one again."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from mlci.cli._pipeline import echo_json, expected_errors, json_option, repo_option
from mlci.pipeline import operations
from mlci.pipeline.progress import Silent, reporter_for
from mlci.pipeline.summary import summary_lines
from mlci.pipeline.views import pipeline_json

aws_option = click.option(
    "--aws",
    type=click.Choice(["auto", "cloud", "real"]),
    default="auto",
    show_default=True,
    help="AWS for jobs: mlci cloud (auto: if configured here; started if not running),"
    " or your own environment (real).",
)
jobs_option = click.option(
    "-j",
    "--jobs",
    "max_parallel",
    type=click.IntRange(min=1),
    default=None,
    help="Jobs to run at once (default: the number of cores).",
)


def options_for(
    aws: str, max_parallel: int | None, since_last_run: bool = False
) -> operations.Options:
    return operations.Options(
        aws=aws, max_parallel=max_parallel or os.cpu_count() or 2, since_last_run=since_last_run
    )


def finish(outcome: operations.Outcome, as_json: bool) -> None:
    """Print the pipeline as it ended and exit with its status."""
    if as_json:
        echo_json(pipeline_json(outcome.view))
    else:
        click.echo("\n".join(summary_lines(outcome.view)))
        if outcome.stopped_by is not None:
            click.echo(f"Stopped by signal {outcome.stopped_by}; state is saved", err=True)
    sys.exit(outcome.exit_code)


def _reporter(as_json: bool) -> Silent:
    return reporter_for(sys.stdout, quiet=as_json)


@click.command()
@click.option("--branch", metavar="B", help="Run the tip of local branch B (default: HEAD).")
@click.option(
    "--config",
    "config_path",
    default=".circleci/config.yml",
    show_default=True,
    metavar="PATH",
    help="Config file, relative to the repository root.",
)
@click.option(
    "--param",
    "parameters",
    multiple=True,
    metavar="K=V",
    help="Pipeline parameter (value as JSON if it parses, else text); repeatable.",
)
@click.option(
    "--working-tree", is_flag=True, help="Include uncommitted and untracked (not ignored) files."
)
@click.option(
    "--since-last-run",
    is_flag=True,
    help="On the base branch, filter paths since the last successful pipeline, not HEAD~1.",
)
@aws_option
@jobs_option
@json_option
@repo_option
@expected_errors
def run(
    branch: str | None,
    config_path: str,
    parameters: tuple[str, ...],
    working_tree: bool,
    since_last_run: bool,
    aws: str,
    max_parallel: int | None,
    as_json: bool,
    directory: str,
) -> None:
    """Create a numbered pipeline for this revision and run it (setup, then workflows)."""
    reporter = _reporter(as_json)
    try:
        outcome = operations.run(
            Path(directory),
            reporter,
            options_for(aws, max_parallel, since_last_run),
            branch=branch,
            config_path=config_path,
            parameters=parameters,
            working_tree=working_tree,
        )
    finally:
        reporter.close()
    finish(outcome, as_json)


@click.command()
@click.argument("pipeline", type=int)
@click.option(
    "--failed", is_flag=True, help="Rerun from failed: keep successful jobs, resume the rest."
)
@aws_option
@jobs_option
@json_option
@repo_option
@expected_errors
def rerun(
    pipeline: int,
    failed: bool,
    aws: str,
    max_parallel: int | None,
    as_json: bool,
    directory: str,
) -> None:
    """Run a pipeline's workflows again (a new attempt), or resume an interrupted one."""
    reporter = _reporter(as_json)
    try:
        outcome = operations.rerun(
            Path(directory), reporter, options_for(aws, max_parallel), pipeline, failed=failed
        )
    finally:
        reporter.close()
    finish(outcome, as_json)
