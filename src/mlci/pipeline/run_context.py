"""What every job of one pipeline run shares: state, revision, secrets, AWS, the stop flag.

One RunContext per process driving a pipeline (`mlci run`, `approve`, `rerun`). Jobs run in
threads and read it; the only things they change through it are state rows and the
continuation (via the store).
"""

from __future__ import annotations

import getpass
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from mlci.pipeline import env_store, model
from mlci.pipeline.cloud_env import AwsProvider
from mlci.pipeline.config import Config
from mlci.pipeline.environment import Masker
from mlci.pipeline.errors import PipelineError
from mlci.pipeline.state import PipelineRow, Store
from mlci.pipeline.trash import Trash
from mlci.pipeline.values import PipelineValues
from mlci.pipeline.venvs import VenvCache
from mlci.pipeline.workspaces import Workspaces


class Reporter(Protocol):
    """Where progress goes (the terminal view, plain lines, or nowhere for --json)."""

    def workflow(self, pipeline: int, name: str, status: str) -> None: ...

    def job(self, workflow: str, job: str, status: str, message: str | None = None) -> None: ...

    def step(
        self, workflow: str, job: str, number: int, name: str, status: str, seconds: float | None
    ) -> None: ...

    def note(self, text: str) -> None: ...


class Secrets:
    """Project variables and contexts, read once per run; every value is masked."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.project = env_store.project_variables(root)
        self._contexts: dict[str, dict[str, str]] = {}
        for name in env_store.contexts(root):
            values = env_store.context_variables(root, name)
            if values is not None:
                self._contexts[name] = values
        every = [*self.project.values()]
        for values in self._contexts.values():
            every.extend(values.values())
        self.masker = Masker(every)

    def context(self, name: str) -> dict[str, str]:
        values = self._contexts.get(name)
        if values is None:
            raise PipelineError(
                f"context {name!r} does not exist; create it with"
                f" `mlci env set --context {name} NAME`"
            )
        return values


@dataclass
class RunContext:
    root: Path
    store: Store
    pipeline: PipelineRow
    values: PipelineValues
    reporter: Reporter
    aws: AwsProvider
    secrets: Secrets
    max_parallel: int
    since_last_run: bool = False
    cancel: threading.Event = field(default_factory=threading.Event)
    username: str = field(default_factory=getpass.getuser)
    trash: Trash = field(init=False)
    # Loaded or compiled already by this process: "setup" Config, "main" Pipeline.
    configs: dict[str, Config] = field(default_factory=dict)
    compiled: dict[str, model.Pipeline] = field(default_factory=dict)
    # Approval jobs this process last saw on hold (their build numbers): if one of them is
    # approved by the time the process would leave, it stays and goes on.
    held: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.trash = Trash(self.root)
        self.trash.sweep()

    @property
    def number(self) -> int:
        return self.pipeline.number

    @property
    def pipeline_dir(self) -> Path:
        return self.store.pipeline_dir(self.pipeline.number)

    @property
    def workspaces(self) -> Workspaces:
        return Workspaces(self.pipeline_dir)

    @property
    def venvs(self) -> VenvCache:
        return VenvCache(self.root)

    def log_path(self, build: int) -> Path:
        return self.pipeline_dir / "logs" / f"{build}.log"
