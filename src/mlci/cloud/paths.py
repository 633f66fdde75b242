"""Where the cloud keeps its state: `MLCI_HOME`, else a per-user data directory."""

from __future__ import annotations

import os
from pathlib import Path


def cloud_home(override: str | Path | None = None) -> Path:
    if override:
        return Path(override).expanduser()
    if env := os.environ.get("MLCI_HOME"):
        return Path(env).expanduser()
    data = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data) / "mlci"
