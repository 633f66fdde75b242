"""`mlci env`: project variables and contexts for jobs, stored locally (mode 0600)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mlci.cli._pipeline import echo_json, expected_errors, json_option, repo_option
from mlci.pipeline import env_store
from mlci.pipeline.checkout import find_root

context_option = click.option(
    "--context", metavar="NAME", help="A context (jobs list it under `context:`), not the project."
)


@click.group()
def env() -> None:
    """Project environment variables and contexts (values are secrets: masked in logs)."""


@env.command("set")
@click.argument("name")
@click.argument("value", required=False)
@context_option
@repo_option
@expected_errors
def set_(name: str, value: str | None, context: str | None, directory: str) -> None:
    """Store NAME (VALUE from stdin when not given, so it stays out of shell history)."""
    env_store.check_name(name)
    if value is None:
        if sys.stdin.isatty():
            value = click.prompt(f"Value of {name}", hide_input=True)
        else:
            value = sys.stdin.read()
            value = value[:-1] if value.endswith("\n") else value
    env_store.set_variable(find_root(Path(directory)), name, value, context)
    where = f"context {context}" if context else "the project"
    click.echo(f"Set {name} in {where}")


@env.command("unset")
@click.argument("name")
@context_option
@repo_option
@expected_errors
def unset(name: str, context: str | None, directory: str) -> None:
    """Remove NAME."""
    if not env_store.unset_variable(find_root(Path(directory)), name, context):
        where = f"context {context}" if context else "the project"
        raise click.ClickException(f"{name} is not set in {where}")
    click.echo(f"Removed {name}")


@env.command("list")
@context_option
@json_option
@repo_option
@expected_errors
def list_(context: str | None, as_json: bool, directory: str) -> None:
    """Names of the project's variables and contexts (never their values)."""
    root = find_root(Path(directory))
    if context is not None:
        values = env_store.context_variables(root, context)
        if values is None:
            raise click.ClickException(f"there is no context {context!r}")
        listing = {context: sorted(values)}
        project: list[str] = []
    else:
        project = sorted(env_store.project_variables(root))
        listing = {
            name: sorted(env_store.context_variables(root, name) or {})
            for name in env_store.contexts(root)
        }
    if as_json:
        echo_json({"project": project, "contexts": listing})
        return
    if context is None:
        click.echo("project: " + (", ".join(project) or "(none)"))
    for name, names in listing.items():
        click.echo(f"context {name}: " + (", ".join(names) or "(none)"))
