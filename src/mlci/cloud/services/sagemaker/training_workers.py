"""Training worker processes: a fresh one per job, forked in milliseconds by a warm zygote.

Most of a worker's start-up is importing numpy and xgboost (0.3-1 s on this project's 2 shared
cores). The pool keeps one zygote (`mlci.algorithms.xgboost.zygote`): a process that has done
those imports, never trains, and forks a child per job. Every job still gets a process of its
own that can be stopped on its own, and nothing leaks from one job into the next; but a job
never waits for an import, however soon it follows the last one. The design it replaces kept
one spare worker and started the next spare once a job had ended, so a job submitted right
after another waited for that import (0.3-1.4 s). Two spares would have hidden the wait only
for two jobs in a row, and each replacement's import competes with the running job for cores;
an idle zygote costs no CPU, only its memory (about 60 MB).

Workers must not outlive the cloud: a worker left running after `kill -9` of the cloud would
keep writing into a job folder that the restarted cloud has removed. On Linux the zygote asks
the kernel (PR_SET_PDEATHSIG) to kill it when its parent *thread* ends, so it is started from
the long-lived Spawner thread; each child asks the same against the zygote. A forked child is
not the cloud's child: its exit status comes from the zygote over the control socket, and
signals for it go through the zygote, which drops them once the child is reaped (no reused pid
is ever hit). If the zygote dies, its children die with it; the next job starts a new one.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from mlci.cloud.spawner import Spawner

STOP_GRACE_SECONDS = 2.0  # SIGTERM, then SIGKILL if the worker has not ended by then
FORK_REPLY_SECONDS = 60.0  # a zygote still importing on a busy machine answers within this
PACKET_BYTES = 64 * 1024
ZYGOTE_MODULE = "mlci.algorithms.xgboost.zygote"


class Worker:
    """A forked training worker, with the part of Popen's interface the runner uses."""

    def __init__(self, stdin: IO[bytes], stdout: IO[bytes], zygote: Zygote) -> None:
        self.pid = 0  # set when the zygote reports the fork
        self.stdin: IO[bytes] | None = stdin
        self.stdout: IO[bytes] | None = stdout
        self.returncode: int | None = None
        self.zygote = zygote  # the process it was forked from, which reports its exit
        self._ended = threading.Event()

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._ended.wait(timeout):
            raise subprocess.TimeoutExpired(f"training worker {self.pid}", timeout or 0)
        return self.returncode if self.returncode is not None else -signal.SIGKILL

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            self.zygote.signal(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def ended(self, returncode: int) -> None:
        self.returncode = returncode
        self._ended.set()


class Zygote:
    """The cloud's side of one zygote process: fork requests, and a thread that reads the
    zygote's reports (fork replies, children's exits, its own end)."""

    def __init__(self, process: subprocess.Popen[bytes], control: socket.socket) -> None:
        self.process = process
        self._control = control
        self._lock = threading.Lock()  # one fork request in flight, so replies come in order
        self._pending: Worker | None = None
        self._replies: queue.SimpleQueue[Worker | OSError] = queue.SimpleQueue()
        self._workers: dict[int, Worker] = {}
        self._gone = threading.Event()
        self._listener = threading.Thread(target=self._listen, name="training-zygote", daemon=True)
        self._listener.start()

    @property
    def alive(self) -> bool:
        return not self._gone.is_set()

    def fork(self) -> Worker:
        """A fresh worker waiting for its spec on stdin; OSError if the zygote cannot fork."""
        stdin_read, stdin_write = os.pipe()
        stdout_read, stdout_write = os.pipe()
        worker = Worker(os.fdopen(stdin_write, "wb"), os.fdopen(stdout_read, "rb"), self)
        try:
            with self._lock:
                if not self.alive:
                    raise OSError("the training zygote has ended")
                self._pending = worker
                socket.send_fds(self._control, [b'{"fork": true}'], [stdin_read, stdout_write])
                reply = self._replies.get(timeout=FORK_REPLY_SECONDS)
        except queue.Empty:
            self.close()  # stuck: end it (and its children); the next job starts a new one
            reply = OSError(f"the training zygote did not fork within {FORK_REPLY_SECONDS:g} s")
        except OSError as error:  # the socket is broken: the zygote is of no more use
            self.close()
            reply = error
        finally:
            os.close(stdin_read)  # the child has them now
            os.close(stdout_write)
        if isinstance(reply, OSError):
            close_pipes(worker)
            raise reply
        return worker

    def signal(self, pid: int, signum: int) -> None:
        request = json.dumps({"signal": int(signum), "pid": pid}).encode()
        with contextlib.suppress(OSError):  # the zygote is gone, and its children with it
            self._control.send(request)

    def close(self) -> None:
        """End the zygote (EOF on its socket) and any job it is still running."""
        with contextlib.suppress(OSError):
            self._control.shutdown(socket.SHUT_RDWR)
        try:
            self.process.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._listener.join(timeout=STOP_GRACE_SECONDS)

    def _listen(self) -> None:
        try:
            while message := self._control.recv(PACKET_BYTES):
                self._report(json.loads(message))
        except (OSError, ValueError):
            pass  # the zygote died or wrote nonsense: treat both as its end
        finally:
            self._gone.set()
            self._control.close()
            self._reap()
            for worker in list(self._workers.values()):
                worker.ended(-signal.SIGKILL)  # killed with the zygote (PR_SET_PDEATHSIG)
            self._replies.put(OSError("the training zygote ended"))

    def _reap(self) -> None:
        """Collect the zygote's exit status; one that broke the protocol but lives is killed."""
        try:
            self.process.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _report(self, message: dict[str, Any]) -> None:
        if "forked" in message and self._pending is not None:
            worker, self._pending = self._pending, None
            worker.pid = int(message["forked"])
            self._workers[worker.pid] = worker  # before any report of its exit is read
            self._replies.put(worker)
        elif "error" in message:
            self._pending = None
            self._replies.put(OSError(f"the training zygote could not fork: {message['error']}"))
        elif "exited" in message:
            exited = self._workers.pop(int(message["exited"]), None)
            if exited is not None:
                exited.ended(int(message["returncode"]))


class WorkerPool:
    """Hands out fresh workers. With `keep_spare`, one zygote is started ahead of the first job
    and kept; without, each job gets a zygote of its own that ends with the job."""

    def __init__(self, workdir: Path, keep_spare: bool = True) -> None:
        self.workdir = workdir
        self.keep_spare = keep_spare
        self._spawner = Spawner("training-spawner")
        self._lock = threading.Lock()
        self._zygote: Zygote | None = None

    def prepare(self) -> None:
        """Have a zygote ready (a new one if the last has died), if spares are wanted."""
        if self.keep_spare:
            self._kept_zygote()

    def start_job(self, spec_json: str) -> Worker:
        """A worker running the job `spec_json`. A zygote found dead is replaced once; OSError
        if the new one cannot start the job either."""
        try:
            return self._start_job(spec_json)
        except OSError:
            return self._start_job(spec_json)

    def _start_job(self, spec_json: str) -> Worker:
        zygote = self._kept_zygote() if self.keep_spare else self._start_zygote(once=True)
        try:
            worker = zygote.fork()
        except OSError:
            if not self.keep_spare:
                zygote.close()
            raise
        try:
            hand_spec(worker, spec_json)
        except OSError:  # the child died before reading its spec (killed from outside?)
            worker.kill()
            close_pipes(worker)
            raise
        return worker

    def close(self) -> None:
        """End the kept zygote, and with it any job still running."""
        with self._lock:
            zygote, self._zygote = self._zygote, None
        if zygote is not None:
            zygote.close()

    def _kept_zygote(self) -> Zygote:
        with self._lock:
            if self._zygote is None or not self._zygote.alive:
                self._zygote = self._start_zygote(once=False)
            return self._zygote

    def _start_zygote(self, once: bool) -> Zygote:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            process = self._spawner.start(lambda: self._launch(theirs.fileno(), once))
        except OSError:
            ours.close()
            raise
        finally:
            theirs.close()
        return Zygote(process, ours)

    def _launch(self, control_fd: int, once: bool) -> subprocess.Popen[bytes]:
        self.workdir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", ZYGOTE_MODULE, str(os.getpid()), str(control_fd)]
        return subprocess.Popen(
            [*command, "--once"] if once else command,
            cwd=self.workdir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,  # each child gets its own pipe; stderr: the cloud's
            pass_fds=(control_fd,),
            env=worker_environment(os.environ),
        )


def worker_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The workers' environment. OpenMP threads that spin while they wait for each other
    make xgboost many times slower as soon as another process wants a core (measured: 20
    rounds on 500 rows took 1 s with 2 spinning threads, 0.04 s with 1); passive waiting
    keeps several threads a gain on a busy machine. A policy set by the user is kept."""
    return {"OMP_WAIT_POLICY": "PASSIVE", **environ, "PYTHONUNBUFFERED": "1"}


def hand_spec(worker: Worker, spec_json: str) -> None:
    """Give a waiting worker its job (one line of JSON on stdin)."""
    if worker.stdin is None:
        raise OSError("the worker has no stdin pipe")
    try:
        worker.stdin.write(spec_json.encode("utf-8") + b"\n")
        worker.stdin.flush()
    finally:
        with contextlib.suppress(OSError):  # a dead worker's pipe fails to close as well
            worker.stdin.close()


def terminate(worker: Worker, grace: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM (the worker records the job as Stopped), then SIGKILL after `grace` seconds."""
    if worker.poll() is not None:
        return
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        worker.kill()


def close_pipes(worker: Worker) -> None:
    for pipe in (worker.stdin, worker.stdout):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()
