"""Finished sandboxes leave at once and are deleted in the background."""

from __future__ import annotations

import time
from pathlib import Path

from mlci.pipeline.trash import Trash


def wait_empty(directory: Path) -> bool:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if not any(directory.iterdir()):
            return True
        time.sleep(0.02)
    return False


def test_discard_and_sweep(tmp_path: Path) -> None:
    job = tmp_path / "job"
    (job / "deep" / "er").mkdir(parents=True)
    (job / "deep" / "er" / "f").write_text("x")
    trash = Trash(tmp_path)

    trash.discard(job)

    assert not job.exists()
    assert wait_empty(trash.root)
    (trash.root / "left-by-a-killed-run").mkdir()
    Trash(tmp_path).sweep()
    assert wait_empty(trash.root)
