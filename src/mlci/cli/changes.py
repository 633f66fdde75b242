"""`mlci changes`: which pipeline parameters this push sets, as circleci/path-filtering decides."""

from __future__ import annotations

from pathlib import Path

import click

from mlci.cli.changes_fast import execute
from mlci.pipeline.changes_request import ChangesRequest
from mlci.pipeline.errors import PipelineError


@click.command()
@click.option(
    "--base",
    "base_revision",
    metavar="REV",
    help="Base revision (default: the setup config's, else main).",
)
@click.option(
    "--head", default="HEAD", show_default=True, metavar="REV", help="Revision to filter."
)
@click.option(
    "--mapping",
    metavar="FILE|TEXT",
    help="Mapping lines, or a file of them (default: the setup config's filter job).",
)
@click.option(
    "--exclude",
    "excludes",
    multiple=True,
    metavar="FILE|TEXT",
    help="Regexes of paths to ignore, one per line, or a file of them.",
)
@click.option(
    "--config-path", metavar="PATH", help="Continuation config when no mapping line names one."
)
@click.option(
    "--setup-config",
    default=".circleci/config.yml",
    show_default=True,
    metavar="PATH",
    help="Setup config to read the filter job from.",
)
@click.option(
    "--since-last-run",
    is_flag=True,
    help="On the base branch, compare with the last successful pipeline, not HEAD~1.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print only the parameters object the orb writes."
)
@click.option("--explain", is_flag=True, help="Say which file set which parameter, and why.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the parameters JSON to this file (the orb's output-path).",
)
@click.option(
    "-C",
    "--repo",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    help="Repository (default: the current directory).",
)
def changes(
    base_revision: str | None,
    head: str,
    mapping: str | None,
    excludes: tuple[str, ...],
    config_path: str | None,
    setup_config: str,
    since_last_run: bool,
    as_json: bool,
    explain: bool,
    output: Path | None,
    repo: Path,
) -> None:
    """Compute the pipeline parameters the changed files set (circleci/path-filtering)."""
    if as_json and explain:
        raise click.UsageError("--json prints only the parameters; drop --explain or --json")
    request = ChangesRequest(
        repo=repo,
        base_revision=base_revision,
        head=head,
        mapping=mapping,
        excludes=excludes,
        config_path=config_path,
        since_last_run=since_last_run,
        setup_config=setup_config,
    )
    try:
        click.echo(execute(request, as_json, explain, output))
    except PipelineError as exc:
        raise click.ClickException(str(exc)) from None
