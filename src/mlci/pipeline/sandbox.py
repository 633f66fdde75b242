"""Where a job's paths land on this machine.

A job runs in a directory of its own (`.mlci/pipelines/<n>/jobs/<build>/`) that stands for
the executor's file system: paths the *config* names — `working_directory`, `checkout`'s
`path`, workspace roots, artifact paths, the orbs' `/tmp/...` files — are mapped into it:
`~` is `<sandbox>/home/circleci` (the home of CircleCI's images), an absolute `/x` is
`<sandbox>/x`, a relative path is taken from the job's working directory. So the default
`~/project` is `<sandbox>/home/circleci/project`, and nothing a config names can land
outside the sandbox. Commands themselves run unchanged on this machine; `TMPDIR` points
into the sandbox and `CIRCLE_WORKING_DIRECTORY` at the mapped working directory.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import NamedTuple

from mlci.pipeline.errors import PipelineError

HOME = "home/circleci"


class Sandbox(NamedTuple):
    root: Path
    working_directory: Path

    @classmethod
    def create(cls, root: Path, working_directory: str) -> Sandbox:
        if root.exists():
            shutil.rmtree(root)
        (root / "tmp").mkdir(parents=True)
        (root / HOME).mkdir(parents=True)
        sandbox = cls(root, root)
        mapped = sandbox.map(working_directory, relative_to=root / HOME)
        mapped.mkdir(parents=True, exist_ok=True)
        return cls(root, mapped)

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    @property
    def home(self) -> Path:
        return self.root / HOME

    def map(self, path: str, relative_to: Path | None = None) -> Path:
        """The sandbox path for a path as the config writes it."""
        text = path.strip() or "."
        if text == "~" or text.startswith("~/"):
            candidate = self.home / text[2:]
        elif text.startswith("/"):
            candidate = self.root / text.lstrip("/")
        else:
            candidate = (relative_to or self.working_directory) / text
        resolved = Path(os.path.normpath(candidate))
        if resolved != self.root and self.root not in resolved.parents:
            raise PipelineError(f"path {path!r} leads outside the job's file system")
        return resolved

    def existing(self, path: str) -> Path:
        """Where to *read* a config path: the sandbox's, or — when the sandbox has nothing
        there and the path is absolute — the machine's own. Commands run on this machine,
        so a step that writes `/tmp/workspace` (as CircleCI configs often do) writes the
        real /tmp, and a later `persist_to_workspace: {root: /tmp/workspace}` must find it."""
        mapped = self.map(path)
        if mapped.exists() or not path.strip().startswith("/"):
            return mapped
        host = Path(os.path.normpath(path.strip()))
        return host if host.exists() else mapped
