"""`mlci ui`: the web dashboard over this repository's pipelines and the local cloud."""

from __future__ import annotations

from pathlib import Path

import click

from mlci.cloud.paths import cloud_home

DEFAULT_PORT = 4600


@click.command()
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int, help="Port (0: any).")
@click.option(
    "--repo",
    "repo",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=".",
    show_default=True,
    help="Repository whose pipelines to show (its .mlci/ holds their state).",
)
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The cloud's state directory (default: $MLCI_HOME, else a per-user data directory).",
)
def ui(port: int, repo: Path, home: Path | None) -> None:
    """Serve the dashboard on 127.0.0.1 and print the token that signs in to it."""
    from mlci.ui.serve import serve

    if not 0 <= port <= 65535:
        raise click.BadParameter(f"{port} is not a port number", param_hint="--port")
    try:
        serve(repo.resolve(), cloud_home(home), port, announce=lambda line: click.echo(line))
    except OSError as exc:
        raise click.ClickException(f"cannot serve on 127.0.0.1:{port}: {exc.strerror}") from None
