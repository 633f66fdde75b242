"""What the pipeline commands share: expected errors as one clear message, JSON output."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, TypeVar

import click

from mlci.pipeline.errors import ConfigError, PipelineError

F = TypeVar("F", bound=Callable[..., Any])

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
repo_option = click.option(
    "-C",
    "--repo",
    "directory",
    type=click.Path(file_okay=False, path_type=str),
    default=".",
    help="Repository (default: the current directory).",
)


def expected_errors(function: F) -> F:
    """A PipelineError (config problems, git, unknown pipeline, …) → its message, exit 1."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except ConfigError as exc:
            lines = [str(problem) for problem in exc.problems]
            noun = "problem" if len(lines) == 1 else "problems"
            raise click.ClickException(
                f"the config has {len(lines)} {noun}:\n" + "\n".join(lines)
            ) from None
        except PipelineError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=False))
