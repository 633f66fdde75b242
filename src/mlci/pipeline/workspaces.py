"""Workspaces between the jobs of a workflow, and stored artifacts and test results.

As on CircleCI, each `persist_to_workspace` adds a layer (here a directory per job run,
`.mlci/pipelines/<n>/workspace/<build>/`), and `attach_workspace` lays down the layers of
the jobs upstream of the attaching job (those it requires, transitively), in the order they
finished, so a later layer's file wins. A job carried over by `rerun --failed` keeps its
layer, so the jobs rerun after it still find what it persisted.
"""

from __future__ import annotations

import glob
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from mlci.pipeline.errors import PipelineError


def _copy(source: Path, target: Path) -> None:
    if source.is_dir() and not source.is_symlink():
        shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)


class Workspaces(NamedTuple):
    pipeline_dir: Path

    def layer(self, build: int) -> Path:
        return self.pipeline_dir / "workspace" / str(build)

    def persist(self, build: int, root: Path, paths: Iterable[str]) -> list[str]:
        """Copy `paths` (relative to `root`, globs allowed) into the job's layer."""
        if not root.is_dir():
            raise PipelineError(f"workspace root {root} is not a directory")
        layer = self.layer(build)
        copied: list[str] = []
        for pattern in paths:
            matches = sorted(glob.glob(pattern, root_dir=root, include_hidden=True))
            if not matches:
                raise PipelineError(
                    f"persist_to_workspace: {pattern!r} matches no file under the root"
                )
            for match in matches:
                relative = os.path.normpath(match)
                if relative.startswith(".."):
                    raise PipelineError(f"persist_to_workspace: {pattern!r} leads outside root")
                _copy(root / relative, layer / relative)
                copied.append(relative)
        return copied

    def attach(self, builds: Iterable[int], at: Path) -> int:
        """Lay the layers of `builds` (in order) at `at`; how many layers there were."""
        count = 0
        at.mkdir(parents=True, exist_ok=True)
        for build in builds:
            layer = self.layer(build)
            if layer.is_dir():
                shutil.copytree(layer, at, symlinks=True, dirs_exist_ok=True)
                count += 1
        return count

    def store(self, kind: str, build: int, source: Path, destination: str) -> list[tuple[str, int]]:
        """Copy an artifact or test-result path; (stored relative path, size) per file."""
        base = self.pipeline_dir / kind / str(build)
        target = base / destination.strip("/")
        if not source.exists():
            return []
        _copy(source, target)
        stored = []
        files = (
            [target] if target.is_file() else sorted(p for p in target.rglob("*") if p.is_file())
        )
        for path in files:
            stored.append((str(path.relative_to(base)), path.stat().st_size))
        return stored
