"""The `mlci` command. Sub-commands are imported only when invoked, to keep start-up fast."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from mlci import __version__

# command name -> ("module:attribute" of its click command, one-line help for `mlci --help`).
# The help is spelled out here so that listing commands imports none of them.
COMMANDS: dict[str, tuple[str, str]] = {
    "cloud": ("mlci.cli.cloud:cloud", "The local cloud: S3, SageMaker, CloudWatch Logs and STS."),
    "changes": ("mlci.cli.changes:changes", "Parameters the changed files set (path filtering)."),
    "run": ("mlci.cli.run:run", "Run a pipeline for this revision: setup, then workflows."),
    "rerun": ("mlci.cli.run:rerun", "Run a pipeline again, or resume it from where it failed."),
    "approve": ("mlci.cli.approve:approve", "Approve a workflow on hold and run the rest."),
    "cancel": ("mlci.cli.approve:cancel", "Cancel a running or held pipeline."),
    "status": ("mlci.cli.status:status", "A pipeline's workflows, jobs and steps."),
    "logs": ("mlci.cli.logs:logs", "A job's log (-f to follow it)."),
    "plan": ("mlci.cli.plan:plan", "What a run would do on this branch, and why."),
    "env": ("mlci.cli.env:env", "Project variables and contexts for jobs (secrets)."),
    "demo": ("mlci.cli.demo:demo", "The example monorepo's story, end to end, on a private cloud."),
    "ui": ("mlci.cli.ui:ui", "The web dashboard: pipelines, registry, endpoints, approvals."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, _, attribute = COMMANDS[cmd_name][0].partition(":")
        command: click.Command = getattr(importlib.import_module(module_name), attribute)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mlci")
def cli() -> None:
    """Continuous training and delivery for many-model repositories, on one machine."""


def main(argv: list[str] | None = None) -> Any:
    return cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="mlci")
