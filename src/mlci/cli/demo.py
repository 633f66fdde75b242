"""`mlci demo`: the example monorepo, in a fresh git repository, played end to end on a
private cloud: a model change trains, is held, approved, merged and deployed; then a change
to shared code does the same for both models."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command()
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to build the demo (default: a fresh temporary folder). An earlier demo"
    " there is reset; any other non-empty folder is refused.",
)
@click.option("--keep", is_flag=True, help="Keep the folder and leave its cloud running.")
@click.option(
    "--from",
    "samples",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="MLCI_SAMPLES_DIR",
    default=None,
    help="Folder with abalone.data and churn.txt (default: $MLCI_SAMPLES_DIR, else download).",
)
def demo(folder: Path | None, keep: bool, samples: Path | None) -> None:
    """Play the example's story: branch -> train -> hold -> approve -> merge -> deploy.

    Exits 0 only if every step left the pipelines, the registry and the endpoints as the
    story expects (for instance: churn did not train on the abalone branch)."""
    from mlci.demo.progress import Progress
    from mlci.demo.session import run_demo

    sys.exit(0 if run_demo(folder, keep, samples, Progress()) else 1)
