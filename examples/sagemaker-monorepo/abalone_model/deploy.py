"""Deploy the approved abalone package trained from this folder's exact contents to its endpoint.

Run from the repository root: python -m abalone_model.deploy
"""

from __future__ import annotations

from pathlib import Path

from common.errors import run_step
from common.steps import deploy_folder

FOLDER = Path(__file__).resolve().parent


def main() -> None:
    deploy_folder(FOLDER)


if __name__ == "__main__":
    run_step(main)
