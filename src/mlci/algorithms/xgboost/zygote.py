"""A fork server for training workers: a process that has imported numpy and xgboost once and
forks a fresh child for every job.

    python -m mlci.algorithms.xgboost.zygote <parent pid> <control fd> [--once]

Importing numpy and xgboost is most of a worker's start-up (0.3-1 s on two busy cores); forking
a process that has done it costs a few milliseconds. The zygote itself never trains: a process
forked after OpenMP (libgomp) has started its thread pool inherits locks held by threads that do
not exist in it. OpenBLAS is kept to one thread too (nothing here uses BLAS), so the zygote has
no thread besides its main one whenever it forks.

The control socket is a SOCK_SEQPACKET Unix socket, one JSON object per packet:

    parent -> zygote   {"fork": true} with two fds, the child's stdin and stdout
                       {"signal": N, "pid": P}   ignored once P has been reaped, so a reused
                                                 pid is never signalled
    zygote -> parent   {"forked": P}  or  {"error": "..."}   (the reply to each fork request)
                       {"exited": P, "returncode": R}        R as subprocess: -N for signal N

A child reads its job's spec from stdin and runs `worker.main(["--wait-for-spec"])`; stderr
shares its stdout. Lifetimes: the zygote asks the kernel (PR_SET_PDEATHSIG) to kill it when
its parent thread ends, and each child asks the same against the zygote, so nothing outlives a
`kill -9` of the cloud. EOF on the control socket ends the zygote, and with it any child still
running. With --once the zygote forks one child and exits once that child has ended.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import selectors
import signal
import socket
import sys
import traceback
from types import FrameType
from typing import Any, NoReturn

PR_SET_PDEATHSIG = 1
PACKET_BYTES = 64 * 1024
EXIT_WORKER_ERROR = 2  # the worker's code for "could not run the job" (see worker)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    if not die_with_parent(args.parent_pid):
        return 0  # the parent is gone already: nobody would ever ask for a job
    _preload()
    control = socket.socket(fileno=args.control_fd)
    Zygote(control, once=args.once).serve()
    return 0


def die_with_parent(expected_parent: int) -> bool:
    """Ask the kernel to SIGKILL this process when its parent thread ends (Linux); False if the
    parent has ended already (this process was re-parented before the request took effect)."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the socket's EOF still ends it
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL))
    return os.getppid() == expected_parent


def _preload() -> None:
    """Import what every job needs, without starting a thread (see the module docstring)."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # read by OpenBLAS when numpy loads it
    from mlci.algorithms.xgboost.process import skip_unused_xgboost_integrations

    skip_unused_xgboost_integrations()
    from mlci.algorithms.xgboost import training, worker  # noqa: F401  (xgboost, numpy, scipy)


class Zygote:
    def __init__(self, control: socket.socket, once: bool = False) -> None:
        self.control = control
        self.once = once
        self.pid = os.getpid()
        self.children: set[int] = set()
        self.forked = 0
        self._wake_read, self._wake_write = os.pipe()
        for fd in (self._wake_read, self._wake_write):
            os.set_blocking(fd, False)

    def serve(self) -> None:
        """Answer requests until the parent closes the socket (or, with --once, until the one
        child has ended)."""
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the cloud to handle
        signal.signal(signal.SIGCHLD, _wake_only)
        signal.set_wakeup_fd(self._wake_write)  # a child's exit wakes the select below
        selector = selectors.DefaultSelector()
        selector.register(self.control, selectors.EVENT_READ)
        selector.register(self._wake_read, selectors.EVENT_READ)
        try:
            while not (self.once and self.forked and not self.children):
                for key, _ in selector.select():
                    if key.fileobj is self.control and not self._answer():
                        return
                self._reap()
        except OSError:  # the parent is gone (a reply failed): so are we
            return

    def _answer(self) -> bool:
        """Handle one request; False at EOF."""
        message, fds, _flags, _address = socket.recv_fds(self.control, PACKET_BYTES, 2)
        if not message:
            return False
        try:
            request = json.loads(message)
            if not isinstance(request, dict):
                raise ValueError("a request must be a JSON object")
            if "fork" in request:
                self._fork(fds)
            elif "signal" in request:
                self._signal(int(request["pid"]), int(request["signal"]))
            else:
                raise ValueError(f"unknown request {sorted(request)}")
        except (ValueError, KeyError, TypeError) as problem:
            self._send({"error": f"bad request: {problem}"})
        finally:
            for fd in fds:  # a child has its own copies: its EOF must follow its exit
                os.close(fd)
        return True

    def _fork(self, fds: list[int]) -> None:
        if len(fds) != 2:
            raise ValueError(f"a fork request carries 2 fds (stdin, stdout), not {len(fds)}")
        try:
            pid = os.fork()
        except OSError as error:  # out of processes or memory: the job reports it
            self._send({"error": f"fork failed: {error}"})
            return
        if pid == 0:
            self._become_worker(fds[0], fds[1])
        self.children.add(pid)
        self.forked += 1
        self._send({"forked": pid})

    def _signal(self, pid: int, signum: int) -> None:
        if pid in self.children:  # not reaped yet, so the pid is still this child's
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    def _reap(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while os.read(self._wake_read, 512):
                pass
        while self.children:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                return
            self.children.discard(pid)
            self._send({"exited": pid, "returncode": os.waitstatus_to_exitcode(status)})

    def _send(self, reply: dict[str, Any]) -> None:
        self.control.send(json.dumps(reply).encode())

    def _become_worker(self, stdin_fd: int, stdout_fd: int) -> NoReturn:
        """The forked child: a fresh worker process for one job. Never returns to the loop."""
        code = EXIT_WORKER_ERROR
        try:
            if die_with_parent(self.pid):
                self._leave_the_zygote(stdin_fd, stdout_fd)
                from mlci.algorithms.xgboost import worker

                code = worker.main(["--wait-for-spec"])
        except BaseException:  # anything at all: the child must end here, with a trace
            traceback.print_exc()
        finally:
            with contextlib.suppress(Exception):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(code)  # no interpreter teardown: the result is written, logs flushed

    def _leave_the_zygote(self, stdin_fd: int, stdout_fd: int) -> None:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        self.control.close()
        os.close(self._wake_read)
        os.close(self._wake_write)
        os.dup2(stdin_fd, 0)
        os.dup2(stdout_fd, 1)
        os.dup2(stdout_fd, 2)  # the container's stderr goes to CloudWatch too
        for fd in {stdin_fd, stdout_fd} - {0, 1, 2}:
            os.close(fd)


def _wake_only(signum: int, frame: FrameType | None) -> None:
    """SIGCHLD's handler: the wake-up fd has done the work; reaping happens in the loop."""


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m mlci.algorithms.xgboost.zygote",
        description="Fork a fresh XGBoost training worker per request on the control socket.",
    )
    parser.add_argument("parent_pid", type=int, help="exit at once unless this is the parent")
    parser.add_argument("control_fd", type=int, help="the inherited SOCK_SEQPACKET socket")
    parser.add_argument("--once", action="store_true", help="fork one child, end with it")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
