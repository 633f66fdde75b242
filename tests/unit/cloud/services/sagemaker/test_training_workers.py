"""Worker processes for training jobs: real zygotes forking real workers on a tiny dataset."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import xgboost

from mlci.cloud.services.sagemaker.training_workers import (
    Worker,
    WorkerPool,
    hand_spec,
    terminate,
    worker_environment,
)

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads processes from /proc"
)


@pytest.fixture
def pool(tmp_path: Path) -> Iterator[WorkerPool]:
    found = WorkerPool(tmp_path / "workers")
    yield found
    found.close()


def spec(folder: Path, num_round: int = 3) -> str:
    train = folder / "train"
    train.mkdir(parents=True, exist_ok=True)
    (train / "data.csv").write_text("".join(f"{i % 7},{i},{i * 2 % 5}\n" for i in range(50)))
    return json.dumps(
        {
            "channels": {"train": {"path": str(train), "content_type": "text/csv"}},
            "hyperparameters": {"num_round": str(num_round)},
            "model_dir": str(folder / "model"),
            "result_path": str(folder / "result.json"),
            "nthread": 1,
        }
    )


def finish(worker: Worker) -> list[str]:
    """The worker's log lines, once it has ended."""
    assert worker.stdout is not None
    lines = worker.stdout.read().decode().splitlines()
    worker.wait(timeout=60)
    worker.stdout.close()
    return lines


def read_until_round(worker: Worker, number: int) -> None:
    assert worker.stdout is not None
    for line in iter(worker.stdout.readline, b""):
        if line.startswith(f"[{number}]".encode()):
            return
    raise AssertionError("the worker ended before that round")


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return False


def test_jobs_back_to_back_each_get_a_fresh_worker_and_a_correct_model(
    pool: WorkerPool, tmp_path: Path
) -> None:
    pids = []
    for index, rounds in enumerate((3, 5, 2, 4)):
        folder = tmp_path / f"job{index}"
        worker = pool.start_job(spec(folder, num_round=rounds))
        lines = finish(worker)
        assert worker.returncode == 0, lines
        assert lines[-1].startswith(f"[{rounds - 1}]#011train-rmse:")
        assert json.loads((folder / "result.json").read_text())["status"] == "Completed"
        booster = xgboost.Booster()  # the file has no extension: its format is given
        booster.load_model(bytearray((folder / "model" / "xgboost-model").read_bytes()))
        assert booster.num_boosted_rounds() == rounds
        pids.append(worker.pid)
    assert len(set(pids)) == 4
    assert pool._zygote is not None and pool._zygote.process.pid not in pids


def test_a_worker_is_forked_by_a_zygote_that_has_no_other_thread(
    pool: WorkerPool, tmp_path: Path
) -> None:
    worker = pool.start_job(spec(tmp_path, num_round=10_000_000))
    read_until_round(worker, 1)
    zygote = worker.zygote.process.pid
    assert parent_of(worker.pid) == zygote
    assert parent_of(zygote) == os.getpid()
    # the zygote never trains, so OpenMP and OpenBLAS have started no thread in it: forking
    # it stays safe however many jobs it has forked
    assert len(list(Path(f"/proc/{zygote}/task").iterdir())) == 1
    terminate(worker)
    finish(worker)


def test_terminate_stops_one_worker_and_leaves_the_other_running(
    pool: WorkerPool, tmp_path: Path
) -> None:
    first = pool.start_job(spec(tmp_path / "a", num_round=10_000_000))
    second = pool.start_job(spec(tmp_path / "b", num_round=10_000_000))
    read_until_round(first, 1)
    read_until_round(second, 1)
    terminate(first)
    assert first.returncode == 3  # Stopped: the worker handled SIGTERM
    assert json.loads((tmp_path / "a" / "result.json").read_text())["status"] == "Stopped"
    assert second.poll() is None and alive(second.pid)
    terminate(second)
    assert second.returncode == 3
    finish(first)
    finish(second)


def test_a_dead_zygote_is_replaced_and_the_next_job_runs(pool: WorkerPool, tmp_path: Path) -> None:
    running = pool.start_job(spec(tmp_path / "running", num_round=10_000_000))
    read_until_round(running, 1)
    old = running.zygote.process.pid
    os.kill(old, signal.SIGKILL)
    finish(running)  # ends: it dies with its zygote, and its wait does not hang
    assert running.returncode == -signal.SIGKILL
    assert wait_for(lambda: not alive(running.pid))  # PR_SET_PDEATHSIG: dying, if not dead

    after = pool.start_job(spec(tmp_path / "after"))  # at once: the pool may not know yet
    assert finish(after)[-1].startswith("[2]#011")
    assert after.returncode == 0
    assert after.zygote.process.pid != old


def test_without_spares_each_job_has_a_zygote_that_ends_with_it(tmp_path: Path) -> None:
    pool = WorkerPool(tmp_path / "workers", keep_spare=False)
    pool.prepare()
    assert pool._zygote is None  # nothing started ahead of a job
    worker = pool.start_job(spec(tmp_path))
    finish(worker)
    assert worker.returncode == 0
    assert worker.zygote.process.wait(timeout=10) == 0
    pool.close()


def test_close_ends_the_zygote_and_the_job_it_runs(tmp_path: Path) -> None:
    pool = WorkerPool(tmp_path / "workers")
    worker = pool.start_job(spec(tmp_path, num_round=10_000_000))
    read_until_round(worker, 1)
    pool.close()
    assert worker.zygote.process.returncode == 0
    assert wait_for(lambda: not alive(worker.pid))
    finish(worker)
    assert worker.returncode == -signal.SIGKILL


def test_a_zygote_that_has_ended_cannot_fork(pool: WorkerPool) -> None:
    pool.prepare()
    zygote = pool._zygote
    assert zygote is not None
    zygote.close()
    with pytest.raises(OSError, match="the training zygote has ended"):
        zygote.fork()


def test_handing_a_spec_to_a_worker_that_is_gone_fails(pool: WorkerPool, tmp_path: Path) -> None:
    pool.prepare()
    assert pool._zygote is not None
    worker = pool._zygote.fork()
    worker.kill()
    worker.wait(timeout=10)
    with pytest.raises(BrokenPipeError):
        hand_spec(worker, spec(tmp_path))
    finish(worker)


def test_workers_wait_passively_unless_told_otherwise() -> None:
    assert worker_environment({})["OMP_WAIT_POLICY"] == "PASSIVE"
    assert worker_environment({"OMP_WAIT_POLICY": "ACTIVE"})["OMP_WAIT_POLICY"] == "ACTIVE"
    assert worker_environment({})["PYTHONUNBUFFERED"] == "1"
