"""Model-server processes: one `mlci.algorithms.xgboost.serve` per endpoint instance.

A server must not outlive the cloud: one left behind after `kill -9` of the cloud would hold
its port and memory for ever. On Linux each server asks the kernel (PR_SET_PDEATHSIG) to kill
it when the thread that started it ends, so every server is started from one long-lived
thread of this module (`Spawner`); a server whose cloud is already gone by the time the signal
is armed exits at once.

A server writes its port to a file once the model is loaded and the socket listens; until then
it may still exit with the reason ("Unable to load model: ...") on stderr, which goes to the
instance's log file and is what a failed deployment reports.
"""

from __future__ import annotations

import http.client
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

# Run in the server process before the server module is imported. argv[1] is the cloud's pid.
_LAUNCHER = """\
import ctypes, os, signal, sys
try:
    ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
except (OSError, AttributeError):
    pass
if os.getppid() != int(sys.argv[1]):
    sys.exit(0)
from mlci.algorithms.xgboost.serve import main
sys.exit(main(sys.argv[2:]))
"""
HOST = "127.0.0.1"
STOP_GRACE_SECONDS = 5.0  # SIGTERM lets requests in flight finish; SIGKILL after this
PING_TIMEOUT_SECONDS = 2.0
LOG_TAIL_BYTES = 4096


class ServerFailed(Exception):
    """A model server did not come up; the message says why (its own words if it gave any)."""


class Spawner:
    """Starts processes from one thread that lives as long as the cloud (see module doc)."""

    def __init__(self) -> None:
        self._requests: queue.SimpleQueue[
            tuple[Callable[[], subprocess.Popen[bytes]], Future[subprocess.Popen[bytes]]]
        ] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name="hosting-spawner", daemon=True)
        self._thread.start()

    def start(self, launch: Callable[[], subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
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


def server_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """A server predicts on one thread: OpenMP threads that spin while waiting, and one malloc
    arena per thread, cost CPU and memory on a machine whose cores the cloud shares."""
    return {
        **environ,
        "OMP_NUM_THREADS": "1",
        "OMP_WAIT_POLICY": "PASSIVE",
        "MALLOC_ARENA_MAX": "2",
        "PYTHONUNBUFFERED": "1",
    }


@dataclass
class ServerProcess:
    """A model server that is starting or running."""

    process: subprocess.Popen[bytes]
    port_file: Path
    log_path: Path
    port: int = 0

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_ready(self, deadline: float) -> None:
        """Wait until the server listens and answers /ping; raise ServerFailed otherwise."""
        while not self.port_file.exists():
            if not self.alive():
                raise ServerFailed(self._exit_reason())
            if time.monotonic() > deadline:
                raise ServerFailed("the model server did not start in time")
            time.sleep(0.01)
        self.port = int(self.port_file.read_text().strip())
        if not ping(self.port):
            reason = "the model server did not answer GET /ping with 200"
            raise ServerFailed(reason if self.alive() else self._exit_reason())

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """SIGTERM (requests in flight finish), then SIGKILL after `grace` seconds."""
        if self.process.poll() is None:
            try:
                self.process.send_signal(signal.SIGTERM)
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            except ProcessLookupError:
                pass
        self.port_file.unlink(missing_ok=True)

    def _exit_reason(self) -> str:
        self.process.wait()
        tail = log_tail(self.log_path)
        last = tail.strip().splitlines()[-1] if tail.strip() else ""
        return last or f"the model server exited with status {self.process.returncode}"


def launch(
    spawner: Spawner, model_dir: Path, workdir: Path, name: str, environ: Mapping[str, str]
) -> ServerProcess:
    """Start a server for `model_dir`; its log and port file are `workdir/<name>.*`."""
    workdir.mkdir(parents=True, exist_ok=True)
    port_file, log_path = workdir / f"{name}.port", workdir / f"{name}.log"
    port_file.unlink(missing_ok=True)
    command = [
        sys.executable,
        "-c",
        _LAUNCHER,
        str(os.getpid()),
        "--model-dir",
        str(model_dir),
        "--host",
        HOST,
        "--port",
        "0",
        "--port-file",
        str(port_file),
    ]

    def start() -> subprocess.Popen[bytes]:
        with open(log_path, "ab") as log:
            return subprocess.Popen(
                command,
                cwd=workdir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=server_environment(environ),
            )

    return ServerProcess(spawner.start(start), port_file, log_path)


def ping(port: int, timeout: float = PING_TIMEOUT_SECONDS) -> bool:
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", "/ping")
        response = connection.getresponse()
        response.read()
        return response.status == 200
    except OSError:
        return False
    finally:
        connection.close()


def log_tail(path: Path) -> str:
    try:
        with open(path, "rb") as log:
            log.seek(max(0, log.seek(0, os.SEEK_END) - LOG_TAIL_BYTES))
            return log.read().decode("utf-8", "replace")
    except OSError:
        return ""
