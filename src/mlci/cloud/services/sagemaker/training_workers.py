"""Training worker processes: one per job, started ahead of time so a job does not wait for them.

A job runs in `python -m mlci.algorithms.xgboost.worker --wait-for-spec`: the process imports
numpy and xgboost (most of its start-up cost), then reads the job's spec from stdin. The pool
keeps one such spare ready and hands it to the next job; a new spare is started in the
background once a job's process has ended, so it never competes with a running job for cores.
Every job still gets a fresh process of its own, which can be stopped on its own.

Workers must not outlive the cloud: a worker left running after `kill -9` of the cloud would
keep writing into a job folder that the restarted cloud has removed. On Linux each worker asks
the kernel (PR_SET_PDEATHSIG) to kill it when its parent thread ends; so every worker is
started from one long-lived thread of this module. Its stdout is a pipe to the cloud as well, so
a worker whose parent is gone also fails on its next log line.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from mlci.cloud.spawner import Spawner

# The worker's entry point (kept tiny: it is Python source passed with -c). argv[1] is the pid
# of the cloud; if the cloud is already gone by the time the death signal is armed, the worker
# exits at once. The worker has written its result (fsync'd) and flushed its log lines when
# main() returns, so the process ends with os._exit: tearing down numpy and xgboost at
# interpreter exit costs 0.1-0.4 s that every job would otherwise wait for.
_LAUNCHER = """\
import ctypes, os, signal, sys
try:
    ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
except (OSError, AttributeError):
    pass
if os.getppid() != int(sys.argv[1]):
    sys.exit(0)
from mlci.algorithms.xgboost.worker import main
code = main(sys.argv[2:])
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
"""
STOP_GRACE_SECONDS = 2.0  # SIGTERM, then SIGKILL if the worker has not ended by then


class WorkerPool:
    def __init__(self, workdir: Path, keep_spare: bool = True) -> None:
        self.workdir = workdir
        self.keep_spare = keep_spare
        self._spawner = Spawner("training-spawner")
        self._lock = threading.Lock()
        self._spare: subprocess.Popen[bytes] | None = None

    def prepare(self) -> None:
        """Start a spare in the background, if spares are wanted and none is alive."""
        if self.keep_spare:
            threading.Thread(target=self._ensure_spare, name="training-spare", daemon=True).start()

    def take(self) -> subprocess.Popen[bytes]:
        """A worker waiting for its spec: the spare if there is one (even if it is still
        importing), else a new process."""
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is not None:
            if spare.poll() is None:
                return spare
            discard(spare)  # it died (killed from outside?): release its pipes
        return self._spawner.start(self._launch)

    def start_job(self, spec_json: str) -> subprocess.Popen[bytes]:
        """A worker running the job `spec_json`: the spare, or a new process if the spare
        cannot take it (it died, or was never started)."""
        process = self.take()
        try:
            hand_spec(process, spec_json)
            return process
        except OSError:  # the spare went away between the check and the hand-over
            discard(process)
        process = self._spawner.start(self._launch)
        hand_spec(process, spec_json)
        return process

    def _ensure_spare(self) -> None:
        with self._lock:
            if self._spare is not None and self._spare.poll() is None:
                return
        try:
            process = self._spawner.start(self._launch)
        except OSError:
            return  # a job will start its own worker and report what is wrong
        with self._lock:
            if self._spare is None:
                self._spare = process
                return
        discard(process)

    def _launch(self) -> subprocess.Popen[bytes]:
        self.workdir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-c", _LAUNCHER, str(os.getpid()), "--wait-for-spec"]
        return subprocess.Popen(
            command,
            cwd=self.workdir,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # the container's stderr goes to CloudWatch too
            env=worker_environment(os.environ),
        )

    def close(self) -> None:
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is not None:
            discard(spare)


def worker_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The worker's environment. OpenMP threads that spin while they wait for each other
    make xgboost many times slower as soon as another process wants a core (measured: 20
    rounds on 500 rows took 1 s with 2 spinning threads, 0.04 s with 1); passive waiting
    keeps several threads a gain on a busy machine. A policy set by the user is kept."""
    return {"OMP_WAIT_POLICY": "PASSIVE", **environ, "PYTHONUNBUFFERED": "1"}


def hand_spec(process: subprocess.Popen[bytes], spec_json: str) -> None:
    """Give a waiting worker its job (one line of JSON on stdin)."""
    if process.stdin is None:
        raise OSError("the worker has no stdin pipe")
    try:
        process.stdin.write(spec_json.encode("utf-8") + b"\n")
        process.stdin.flush()
    finally:
        with contextlib.suppress(OSError):  # a dead worker's pipe fails to close as well
            process.stdin.close()


def terminate(process: subprocess.Popen[bytes], grace: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM (the worker records the job as Stopped), then SIGKILL after `grace` seconds."""
    if process.poll() is not None:
        return
    try:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
    except ProcessLookupError:
        pass


def discard(process: subprocess.Popen[bytes]) -> None:
    """End a spare that never got a job: closing its stdin makes it exit on its own."""
    if process.stdin is not None and not process.stdin.closed:
        with contextlib.suppress(OSError):
            process.stdin.close()
    try:
        process.wait(timeout=STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()
