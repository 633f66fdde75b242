"""What every SageMaker operation module is built from: one database and one clock."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mlci.cloud.services.sagemaker.clock import Clock
from mlci.sqlite import Database


@dataclass(frozen=True)
class State:
    db: Database
    clock: Clock
    # The cloud's state directory, for modules that keep files next to the database.
    home: Path
