"""The training zygote as a real process on a real SOCK_SEQPACKET socket: its protocol, its
refusals, and how it ends."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="SOCK_SEQPACKET and PR_SET_PDEATHSIG are Linux's"
)


@dataclass
class RunningZygote:
    process: subprocess.Popen[bytes]
    control: socket.socket

    def request(self, message: Any, fds: list[int] | None = None) -> None:
        payload = json.dumps(message).encode() if not isinstance(message, bytes) else message
        socket.send_fds(self.control, [payload], fds or [])

    def reply(self) -> dict[str, Any]:
        self.control.settimeout(30)
        return json.loads(self.control.recv(65536))  # type: ignore[no-any-return]


def start(*extra: str, parent: int | None = None) -> RunningZygote:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    command = [sys.executable, "-m", "mlci.algorithms.xgboost.zygote"]
    process = subprocess.Popen(
        [*command, str(parent or os.getpid()), str(theirs.fileno()), *extra],
        pass_fds=(theirs.fileno(),),
        stdin=subprocess.DEVNULL,
    )
    theirs.close()
    return RunningZygote(process, ours)


@pytest.fixture(scope="module")
def zygote() -> Iterator[RunningZygote]:
    """One zygote for the tests that leave it serving (each reads every reply it causes)."""
    found = start()
    yield found
    found.control.close()
    found.process.wait(timeout=10)


def fork_child(zygote: RunningZygote) -> tuple[int, int, int]:
    """Ask for a child; returns (pid, our end of its stdin, our end of its stdout)."""
    stdin_read, stdin_write = os.pipe()
    stdout_read, stdout_write = os.pipe()
    zygote.request({"fork": True}, [stdin_read, stdout_write])
    os.close(stdin_read)
    os.close(stdout_write)
    reply = zygote.reply()
    assert "forked" in reply, reply
    return int(reply["forked"]), stdin_write, stdout_read


def test_a_child_without_a_spec_ends_quietly_and_its_exit_is_reported(
    zygote: RunningZygote,
) -> None:
    pid, stdin, stdout = fork_child(zygote)
    os.close(stdin)  # EOF before a spec: a worker that was never given a job
    assert zygote.reply() == {"exited": pid, "returncode": 0}
    assert os.read(stdout, 100) == b""
    os.close(stdout)


def test_a_signal_reaches_the_child_and_the_exit_says_which(zygote: RunningZygote) -> None:
    pid, stdin, stdout = fork_child(zygote)
    zygote.request({"signal": 9, "pid": pid})
    assert zygote.reply() == {"exited": pid, "returncode": -9}
    zygote.request({"signal": 9, "pid": pid})  # reaped now: ignored, never sent to a reused pid
    zygote.request({"signal": 9, "pid": os.getpid()})  # not its child: ignored too
    again, stdin2, stdout2 = fork_child(zygote)  # and the zygote still answers
    assert again != pid
    for fd in (stdin, stdout, stdin2, stdout2):
        os.close(fd)
    assert zygote.reply() == {"exited": again, "returncode": 0}


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (b"not json", "bad request"),
        ([1, 2], "a request must be a JSON object"),
        ({"hello": 1}, r"unknown request \['hello'\]"),
        ({"signal": 9}, "bad request: 'pid'"),
        ({"fork": True}, r"a fork request carries 2 fds \(stdin, stdout\), not 0"),
    ],
)
def test_a_bad_request_is_refused_with_a_reason(
    zygote: RunningZygote, message: Any, expected: str
) -> None:
    zygote.request(message)
    reply = zygote.reply()
    assert list(reply) == ["error"]
    assert re.search(expected, reply["error"]), reply
    pid, stdin, stdout = fork_child(zygote)  # and it still serves
    os.close(stdin)
    os.close(stdout)
    assert zygote.reply()["exited"] == pid


def test_with_once_it_ends_after_its_one_child() -> None:
    once = start("--once")
    pid, stdin, stdout = fork_child(once)
    assert once.process.poll() is None  # alive while its child lives
    os.close(stdin)
    assert once.reply() == {"exited": pid, "returncode": 0}
    assert once.process.wait(timeout=10) == 0
    os.close(stdout)
    once.control.close()


def test_eof_on_the_socket_ends_the_zygote_and_its_children() -> None:
    zygote = start()
    _pid, stdin, stdout = fork_child(zygote)
    zygote.control.close()
    assert zygote.process.wait(timeout=10) == 0
    assert os.read(stdout, 100) == b""  # the child died with it (PR_SET_PDEATHSIG)
    for fd in (stdin, stdout):
        os.close(fd)


def test_a_zygote_whose_parent_is_not_the_one_named_exits_at_once() -> None:
    orphan = start(parent=1)  # re-parented before it could ask to die with its parent
    assert orphan.process.wait(timeout=10) == 0
    assert orphan.control.recv(100) == b""  # it never served
    orphan.control.close()
