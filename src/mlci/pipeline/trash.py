"""Deleting finished job sandboxes off the critical path.

Removing a directory tree of fresh files costs milliseconds per directory on many file
systems — more than scheduling the job did. A finished sandbox is renamed into
`.mlci/trash/` (instant) and a background thread deletes it; whatever a process leaves there
when it exits is deleted by the next one.
"""

from __future__ import annotations

import os
import queue
import shutil
import threading
import uuid
from pathlib import Path

TRASH_DIR = Path(".mlci") / "trash"


class Trash:
    def __init__(self, repo_root: Path) -> None:
        self.root = repo_root / TRASH_DIR
        self._queue: queue.Queue[Path] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def discard(self, path: Path) -> None:
        """Move `path` out of the way now; delete it soon."""
        self.root.mkdir(parents=True, exist_ok=True)
        target = self.root / uuid.uuid4().hex
        try:
            os.rename(path, target)
        except OSError:
            shutil.rmtree(path, ignore_errors=True)
            return
        self._start()
        self._queue.put(target)

    def sweep(self) -> None:
        """Queue what earlier processes left behind."""
        if not self.root.is_dir():
            return
        leftovers = list(self.root.iterdir())
        if leftovers:
            self._start()
            for path in leftovers:
                self._queue.put(path)

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="trash", daemon=True)
                self._thread.start()

    def _work(self) -> None:
        while True:
            shutil.rmtree(self._queue.get(), ignore_errors=True)
