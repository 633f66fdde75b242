"""`mlci plan`: what a run would do on this branch, and why, without running anything."""

from __future__ import annotations

from pathlib import Path

import click

from mlci.cli._pipeline import echo_json, expected_errors, json_option, repo_option
from mlci.pipeline.plan import make_plan, plan_json, plan_lines


@click.command()
@click.option("--branch", metavar="B", help="Plan for the tip of local branch B.")
@click.option(
    "--config", "config_path", default=".circleci/config.yml", show_default=True, metavar="PATH"
)
@click.option("--param", "parameters", multiple=True, metavar="K=V", help="Pipeline parameter.")
@click.option("--working-tree", is_flag=True, help="Plan for what is on disk, not the commit.")
@click.option("--since-last-run", is_flag=True, help="As mlci run --since-last-run.")
@json_option
@repo_option
@expected_errors
def plan(
    branch: str | None,
    config_path: str,
    parameters: tuple[str, ...],
    working_tree: bool,
    since_last_run: bool,
    as_json: bool,
    directory: str,
) -> None:
    """Show changed files, parameters, workflows and the jobs filters would skip."""
    result = make_plan(
        Path(directory),
        branch=branch,
        config_path=config_path,
        parameters=parameters,
        working_tree=working_tree,
        since_last_run=since_last_run,
    )
    if as_json:
        echo_json(plan_json(result))
    else:
        click.echo("\n".join(plan_lines(result)))
