"""Model-server processes: one `mlci.algorithms.xgboost.serve` per endpoint instance.

A server must not outlive the cloud: one left behind after `kill -9` of the cloud would hold
its port and memory for ever. On Linux each server asks the kernel (PR_SET_PDEATHSIG) to kill
it when the thread that started it ends, so every server is started from one long-lived
thread (`mlci.cloud.spawner.Spawner`); a server whose cloud is already gone by the time the signal
is armed exits at once.

Most of a server's start-up is importing numpy and xgboost, so `ServerPool` keeps one spare
process that has done that and waits for its arguments on stdin; a deployment takes it and
the pool starts the next spare in the background. A server writes its port (and the name of
its batch socket, see `mlci.algorithms.batch_wire`) to a file once the model is loaded and
both listen; until then it may still exit with the reason
("Unable to load model: ...") on stderr, which goes to the instance's log file and is what a
failed deployment reports.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mlci.cloud.spawner import Spawner

# Run in the server process before the server module is imported. argv[1] is the cloud's pid;
# the server's own arguments follow as one line of JSON on stdin (EOF: not needed after all).
_LAUNCHER = """\
import ctypes, json, os, signal, sys
try:
    ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
except (OSError, AttributeError):
    pass
if os.getppid() != int(sys.argv[1]):
    sys.exit(0)
from mlci.algorithms.xgboost.process import skip_unused_xgboost_integrations
skip_unused_xgboost_integrations()
import mlci.algorithms.xgboost.inference
from mlci.algorithms.xgboost.serve import main
line = sys.stdin.readline()
sys.exit(main(json.loads(line)) if line.strip() else 0)
"""
HOST = "127.0.0.1"
STOP_GRACE_SECONDS = 5.0  # SIGTERM lets requests in flight finish; SIGKILL after this
PING_TIMEOUT_SECONDS = 2.0
LOG_TAIL_BYTES = 4096
LOAD_FAILURE = "Unable to load model"
MAX_REASON = 900  # FailureReason holds at most 1024 characters, with "variant X: " before it


class ServerFailed(Exception):
    """A model server did not come up; the message says why (its own words if it gave any)."""


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
    batch_address: str | None = None  # the server's abstract Unix socket, where it has one

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
        lines = self.port_file.read_text().split()
        self.port = int(lines[0])
        self.batch_address = "\0" + lines[1] if len(lines) > 1 else None
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
        return exit_reason(log_tail(self.log_path)) or (
            f"the model server exited with status {self.process.returncode}"
        )


class ServerPool:
    """Starts model servers, keeping one spare warm (see module doc)."""

    def __init__(
        self, spares_dir: Path, environ: Mapping[str, str], keep_spare: bool = True
    ) -> None:
        self.spares_dir = spares_dir
        self.keep_spare = keep_spare
        self._environ = server_environment(environ)
        self._spawner = Spawner("hosting-spawner")
        self._lock = threading.Lock()
        self._spare: tuple[subprocess.Popen[bytes], Path] | None = None
        self._count = 0
        self._closed = False
        for stale in spares_dir.glob("spare-*.log"):  # left by a cloud that was killed
            stale.unlink(missing_ok=True)

    def launch(self, model_dir: Path, workdir: Path, name: str) -> ServerProcess:
        """A server for `model_dir`; its log and port file are `workdir/<name>.*`."""
        workdir.mkdir(parents=True, exist_ok=True)
        port_file, log_path = workdir / f"{name}.port", workdir / f"{name}.log"
        port_file.unlink(missing_ok=True)
        process, spare_log = self._take() or self._start()
        os.replace(spare_log, log_path)  # the server keeps writing to it under its new name
        arguments = [
            "--model-dir",
            str(model_dir),
            "--host",
            HOST,
            "--port",
            "0",
            "--port-file",
            str(port_file),
        ]
        try:
            assert process.stdin is not None
            process.stdin.write(json.dumps(arguments).encode() + b"\n")
            process.stdin.close()
        except OSError:
            pass  # it died while waiting: wait_ready() reports why
        return ServerProcess(process, port_file, log_path)

    def refill(self) -> None:
        """Start a spare in the background if none is alive (called once a deployment's
        servers are up, so the spare's imports do not slow them down)."""
        if self.keep_spare and not self._closed:
            threading.Thread(target=self._ensure_spare, name="hosting-spare", daemon=True).start()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            spare, self._spare = self._spare, None
        if spare is not None:
            _discard(*spare)

    def _take(self) -> tuple[subprocess.Popen[bytes], Path] | None:
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is not None and spare[0].poll() is None:
            return spare
        if spare is not None:
            spare[1].unlink(missing_ok=True)
        return None

    def _ensure_spare(self) -> None:
        with self._lock:
            if self._closed or (self._spare is not None and self._spare[0].poll() is None):
                return
        try:
            spare = self._start()
        except OSError:
            return  # the next deployment starts its own server and reports what is wrong
        with self._lock:
            if self._spare is None and not self._closed:
                self._spare = spare
                return
        _discard(*spare)

    def _start(self) -> tuple[subprocess.Popen[bytes], Path]:
        self.spares_dir.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self._count += 1
            log_path = self.spares_dir / f"spare-{os.getpid()}-{self._count}.log"
        command = [sys.executable, "-c", _LAUNCHER, str(os.getpid())]

        def start() -> subprocess.Popen[bytes]:
            with open(log_path, "ab") as log:
                return subprocess.Popen(
                    command,
                    cwd=self.spares_dir,
                    stdin=subprocess.PIPE,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=self._environ,
                )

        return self._spawner.start(start), log_path


def _discard(process: subprocess.Popen[bytes], log_path: Path) -> None:
    """End a spare that was never used: EOF on stdin makes it exit."""
    if process.stdin is not None:
        process.stdin.close()
    try:
        process.wait(timeout=STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log_path.unlink(missing_ok=True)


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


def exit_reason(log: str) -> str:
    """What a server that could not start said about it, on one line: from its last "Unable
    to load model" message on (XGBoost's errors span lines), else its last line."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    starts = [i for i, line in enumerate(lines) if line.startswith(LOAD_FAILURE)]
    message = " ".join(lines[starts[-1] :]) if starts else (lines[-1] if lines else "")
    return message[:MAX_REASON]


def log_tail(path: Path) -> str:
    try:
        with open(path, "rb") as log:
            log.seek(max(0, log.seek(0, os.SEEK_END) - LOG_TAIL_BYTES))
            return log.read().decode("utf-8", "replace")
    except OSError:
        return ""
