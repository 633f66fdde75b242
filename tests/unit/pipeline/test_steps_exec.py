"""Step processes: exit codes, output lines, timeouts, stops, background steps."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlci.pipeline.environment import Masker
from mlci.pipeline.joblog import JobLog, LineSplitter
from mlci.pipeline.steps_exec import (
    BackgroundStep,
    CommandSpec,
    ProcessGroups,
    run_foreground,
    shell_command,
)


def spec(tmp_path: Path, command: str, timeout: float = 60.0) -> CommandSpec:
    script = tmp_path / "step.sh"
    script.write_text(command)
    env = {"PATH": os.environ["PATH"]}
    return CommandSpec(shell_command(None, script), tmp_path, env, timeout)


@pytest.fixture
def job_log(tmp_path: Path) -> Iterator[JobLog]:
    opened = JobLog(tmp_path / "job.log", Masker(["hunter22"]))
    yield opened
    opened.close()


def test_exit_codes_and_output(tmp_path: Path, job_log: JobLog) -> None:
    ok = run_foreground(spec(tmp_path, "echo hi; echo hunter22 >&2"), job_log, threading.Event(),
                        ProcessGroups())  # fmt: skip
    bad = run_foreground(spec(tmp_path, "echo x; exit 7"), job_log, threading.Event(),
                         ProcessGroups())  # fmt: skip

    assert (ok.status, ok.exit_code) == ("success", 0)
    assert (bad.status, bad.exit_code, bad.message) == ("failed", 7, "exited with code 7")
    assert (tmp_path / "job.log").read_text() == "hi\n********\nx\n"  # masked


def test_pipefail_by_default(tmp_path: Path, job_log: JobLog) -> None:
    outcome = run_foreground(spec(tmp_path, "false | true"), job_log, threading.Event(),
                             ProcessGroups())  # fmt: skip
    assert outcome.status == "failed"


def test_no_output_timeout(tmp_path: Path, job_log: JobLog) -> None:
    started = time.monotonic()
    outcome = run_foreground(spec(tmp_path, "echo a; sleep 20", timeout=0.3), job_log,
                             threading.Event(), ProcessGroups())  # fmt: skip
    assert outcome.status == "timedout"
    assert outcome.message == "Too long with no output (exceeded 0.3s)"
    assert time.monotonic() - started < 5


def test_a_stop_ends_the_step_and_its_children(tmp_path: Path, job_log: JobLog) -> None:
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    command = "sleep 30 & echo $! > child.pid; wait"
    outcome = run_foreground(spec(tmp_path, command), job_log, cancel, ProcessGroups())
    assert outcome.status == "canceled"
    child = int((tmp_path / "child.pid").read_text())
    deadline = time.monotonic() + 5
    while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
        stat = Path(f"/proc/{child}/stat").read_text()
        if stat.rpartition(")")[2].split()[0] == "Z":
            break
        time.sleep(0.05)
    else:
        assert not Path(f"/proc/{child}").exists()


def test_a_missing_shell_fails_the_step(tmp_path: Path, job_log: JobLog) -> None:
    script = tmp_path / "s.sh"
    script.write_text("true")
    bad = CommandSpec(["/no/such/shell", str(script)], tmp_path, {}, 10)
    outcome = run_foreground(bad, job_log, threading.Event(), ProcessGroups())
    assert outcome.status == "failed"
    assert outcome.message == "cannot start /no/such/shell: No such file or directory"


def test_background_steps_report_or_get_stopped(tmp_path: Path, job_log: JobLog) -> None:
    groups = ProcessGroups()
    quick = BackgroundStep(1, "quick", spec(tmp_path, "echo bg; exit 3"), job_log, groups)
    time.sleep(0.5)
    (tmp_path / "long.sh").write_text("sleep 30")
    long_spec = CommandSpec(shell_command(None, tmp_path / "long.sh"), tmp_path, {}, 60)
    slow = BackgroundStep(2, "slow", long_spec, job_log, groups)

    assert quick.stop().exit_code == 3
    stopped = slow.stop()
    assert (stopped.status, stopped.message) == (
        "success",
        "still running when the job ended: stopped",
    )
    assert "[quick] bg" in (tmp_path / "job.log").read_text()


def test_lines_are_masked_whole_even_when_split_across_reads() -> None:
    lines: list[str] = []
    masker = Masker(["secret-value"])
    splitter = LineSplitter(lambda text: lines.append(masker.mask(text)))
    splitter.feed(b"a secr")
    splitter.feed(b"et-value b\r\nno newline at end")
    splitter.close()
    assert lines == ["a ******** b", "no newline at end"]
