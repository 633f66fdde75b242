"""The revision of the last successful pipeline per branch, for `mlci changes --since-last-run`.

A small JSON file in the repository's `.mlci/` directory, written atomically (temp file, fsync,
rename), so a crash never leaves half a file. The runner records a branch's revision when a
pipeline on it succeeds; path filtering on that branch then compares with it instead of HEAD~1.
"""

from __future__ import annotations

import json
from pathlib import Path

from mlci.files import write_atomically
from mlci.pipeline.errors import PipelineError

STATE_DIR = ".mlci"
FILE_NAME = "last-successful.json"


def history_file(repo_root: Path) -> Path:
    return repo_root / STATE_DIR / FILE_NAME


def _read(path: Path) -> dict[str, dict[str, str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise PipelineError(f"cannot read {path}: {exc}; delete it to start afresh") from None
    branches = data.get("branches") if isinstance(data, dict) else None
    if not isinstance(branches, dict):
        raise PipelineError(f"{path} has no 'branches' object; delete it to start afresh")
    return branches


def last_successful_revision(repo_root: Path, branch: str) -> str | None:
    """The revision recorded for `branch`, or None if no pipeline on it has succeeded yet."""
    entry = _read(history_file(repo_root)).get(branch)
    revision = entry.get("revision") if isinstance(entry, dict) else None
    return revision if isinstance(revision, str) else None


def record_successful_pipeline(repo_root: Path, branch: str, revision: str) -> None:
    """Remember that the pipeline for `revision` on `branch` succeeded."""
    path = history_file(repo_root)
    branches = _read(path)
    from datetime import UTC, datetime  # here, not at the top: `mlci changes` never records

    branches[branch] = {"revision": revision, "recorded_at": datetime.now(UTC).isoformat()}
    write_atomically(path, json.dumps({"branches": branches}, indent=2, sort_keys=True))
