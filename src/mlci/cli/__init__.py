"""The `mlci` command. Sub-commands are imported only when invoked, to keep start-up fast.

This module imports nothing heavy, not even click: `mlci changes` on a large push is meant
to cost little more than its `git diff`, and importing click alone would cost more than that
diff's own time (see changes_fast.py). Every other command goes through click (group.py).
"""

from __future__ import annotations

import os
import sys

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


def run() -> None:
    """The `mlci` console script. A command that returns (only the click-free `mlci changes`
    does: click exits by itself) has written everything it will write, so the process ends
    without tearing the interpreter down, which on a large push costs more than the
    matching did."""
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # a reader that went away (`| head`): nothing more can be said
        code = code or 1
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["changes"]:
        from mlci.cli.changes_fast import run_without_click

        code = run_without_click(args[1:])
        if code is not None:
            return code
    from mlci.cli.group import cli

    cli.main(args=args, prog_name="mlci")  # standalone: it exits itself
    return 0
