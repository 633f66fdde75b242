"""Start the cloud's child processes (training workers, model servers) from one thread that
lives as long as the cloud.

On Linux a child asks the kernel (PR_SET_PDEATHSIG) to kill it when its parent goes away so
that none outlives a `kill -9` of the cloud. The kernel means the *thread* that forked it, not
the process: a child started from a short-lived request thread would be killed when that
thread ends. So every child is launched from a Spawner's own long-lived thread.
"""

from __future__ import annotations

import queue
import subprocess
import threading
from collections.abc import Callable
from concurrent.futures import Future

Launch = Callable[[], subprocess.Popen[bytes]]


class Spawner:
    def __init__(self, name: str) -> None:
        self._requests: queue.SimpleQueue[tuple[Launch, Future[subprocess.Popen[bytes]]]] = (
            queue.SimpleQueue()
        )
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def start(self, launch: Launch) -> subprocess.Popen[bytes]:
        """Run `launch` on the spawner's thread; its process, or the exception it raised."""
        future: Future[subprocess.Popen[bytes]] = Future()
        self._requests.put((launch, future))
        return future.result()

    def _serve(self) -> None:
        while True:
            launch, future = self._requests.get()
            try:
                future.set_result(launch())
            except BaseException as error:  # handed to the caller, who reports it
                future.set_exception(error)
