"""The state store on a real SQLite file: numbering, attempts, leases, crash recovery."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlci.pipeline.errors import PipelineError
from mlci.pipeline.recovery import reconcile_interrupted
from mlci.pipeline.state import (
    INTERRUPTED,
    NOT_RUN,
    ON_HOLD,
    QUEUED,
    RUNNING,
    SUCCESS,
    NewPipeline,
    Store,
    effective_status,
)


def new(store: Store) -> int:
    row = store.create_pipeline(
        NewPipeline("id-" + str(time.monotonic_ns()), "main", None, "abc", False, "c.yml", {}),
        lambda number: {"number": number},
    )
    return row.number


def test_pipelines_are_numbered_and_state_ignores_itself(tmp_path: Path) -> None:
    store = Store(tmp_path)
    assert [new(store), new(store), new(store)] == [1, 2, 3]
    assert store.require_pipeline(2).pipeline_values == {"number": 2}
    assert (tmp_path / ".mlci/.gitignore").read_text().endswith("*\n")
    with pytest.raises(PipelineError, match=r"there is no pipeline 9 \(pipelines are 1..3\)"):
        store.require_pipeline(9)
    with pytest.raises(PipelineError, match="no pipeline has run here yet"):
        Store(tmp_path / "other").require_pipeline(1)


def test_continuing_twice_is_refused(tmp_path: Path) -> None:
    store = Store(tmp_path)
    number = new(store)
    store.set_continuation(number, {"files": [], "parameters": {}})
    with pytest.raises(PipelineError, match="was already continued"):
        store.set_continuation(number, {"finished": True})


def test_rerun_attempts_carry_successful_jobs(tmp_path: Path) -> None:
    store = Store(tmp_path)
    number = new(store)
    first = store.create_workflow(number, "w", "main", [("a", "build"), ("b", "build")])
    a, b = store.jobs(first.id)
    store.finish_job(a.build_num, SUCCESS)
    store.finish_job(b.build_num, "failed", "exit 1")

    second = store.create_workflow(
        number, "w", "main", [("a", "build"), ("b", "build")],
        carried={"a": store.job(a.build_num)}, supersedes=first.id,
    )  # fmt: skip

    assert second.attempt == 2
    assert [w.id for w in store.workflows(number)] == [second.id]
    assert len(store.workflows(number, current=False)) == 2
    carried, fresh = store.jobs(second.id)
    assert (carried.status, carried.carried_from) == (SUCCESS, a.build_num)
    assert (fresh.status, fresh.carried_from) == (QUEUED, None)
    assert fresh.build_num > b.build_num


def test_approval_only_of_a_held_job(tmp_path: Path) -> None:
    store = Store(tmp_path)
    workflow = store.create_workflow(new(store), "w", "main", [("hold", "approval")])
    (hold,) = store.jobs(workflow.id)
    assert store.approve_held(hold.build_num, "me")[0] is False
    store.hold_job(hold.build_num)
    assert store.approve_held(hold.build_num, "me")[0] is True
    approved = store.job(hold.build_num)
    assert (approved.status, approved.approved_by) == (SUCCESS, "me")
    assert approved.approved_at is not None


def test_the_lease_keeps_a_second_runner_out(tmp_path: Path) -> None:
    store = Store(tmp_path)
    number = new(store)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert store.acquire(number, other.pid) is not None
        assert store.acquire(number, os.getpid()) is None
        assert store.require_pipeline(number).runner_alive
    finally:
        other.kill()
        other.wait()
    assert not store.require_pipeline(number).runner_alive
    assert store.acquire(number, os.getpid()) is not None  # the holder died: free again
    store.release(number, os.getpid())
    assert store.require_pipeline(number).runner_pid is None


def test_reconcile_marks_what_a_dead_runner_left(tmp_path: Path) -> None:
    store = Store(tmp_path)
    number = new(store)
    workflow = store.create_workflow(
        number, "w", "main", [("done", "build"), ("mid", "build"), ("later", "build")]
    )
    done, mid, _ = store.jobs(workflow.id)
    store.finish_job(done.build_num, SUCCESS)
    store.start_job(mid.build_num)
    leftover = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)"], start_new_session=True
    )
    from mlci.pipeline import processes

    store.set_process_groups(mid.build_num, [[leftover.pid, processes.start_token(leftover.pid)]])
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    store.acquire(number, int(dead.stdout))

    touched = reconcile_interrupted(store, number)

    assert sorted(job.name for job in touched) == ["later", "mid"]
    assert [j.status for j in store.jobs(workflow.id)] == [SUCCESS, INTERRUPTED, INTERRUPTED]
    assert store.workflows(number)[0].status == INTERRUPTED
    assert leftover.wait(timeout=5) == -9


def test_effective_status() -> None:
    assert effective_status(RUNNING, runner_alive=False) == INTERRUPTED
    assert effective_status(QUEUED, runner_alive=False) == INTERRUPTED
    assert effective_status(RUNNING, runner_alive=True) == RUNNING
    assert effective_status(ON_HOLD, runner_alive=False) == ON_HOLD
    assert effective_status(NOT_RUN, runner_alive=False) == NOT_RUN


def test_a_runner_does_not_leave_while_an_approval_it_left_on_hold_was_given(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path)
    number = new(store)
    workflow = store.create_workflow(number, "w", "main", [("hold", "approval")])
    (hold,) = store.jobs(workflow.id)
    store.hold_job(hold.build_num)
    store.acquire(number, os.getpid())

    approved, row = store.approve_held(hold.build_num, "reviewer")

    assert approved and row.runner_alive  # the approver leaves it to this runner...
    assert store.release(number, os.getpid(), [hold.build_num]) is False  # ...which stays
    assert store.require_pipeline(number).runner_pid == os.getpid()
    assert store.release(number, os.getpid(), []) is True
    assert store.require_pipeline(number).runner_pid is None


def test_a_cancel_is_asked_of_a_live_runner_only_and_keeps_it_from_leaving(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path)
    number = new(store)

    assert store.request_cancel(number).runner_alive is False
    assert store.require_pipeline(number).cancel_requested is False  # nobody to ask
    store.acquire(number, os.getpid())
    assert store.request_cancel(number).runner_alive is True
    assert store.release(number, os.getpid()) is False  # it must cancel first
    store.clear_cancel(number)
    assert store.release(number, os.getpid()) is True
