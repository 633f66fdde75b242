"""Worker processes for training jobs: real `python -c` workers on a tiny dataset."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlci.cloud.services.sagemaker.training_workers import (
    WorkerPool,
    discard,
    terminate,
    worker_environment,
)


@pytest.fixture
def pool(tmp_path: Path) -> Iterator[WorkerPool]:
    found = WorkerPool(tmp_path / "workers", keep_spare=False)
    yield found
    found.close()


def spec(tmp_path: Path, num_round: int = 3) -> str:
    train = tmp_path / "train"
    train.mkdir(exist_ok=True)
    (train / "data.csv").write_text("".join(f"{i % 7},{i},{i * 2 % 5}\n" for i in range(50)))
    return json.dumps(
        {
            "channels": {"train": {"path": str(train), "content_type": "text/csv"}},
            "hyperparameters": {"num_round": str(num_round)},
            "model_dir": str(tmp_path / "model"),
            "result_path": str(tmp_path / "result.json"),
        }
    )


def test_a_job_runs_in_a_fresh_worker_and_logs_to_stdout(pool: WorkerPool, tmp_path: Path) -> None:
    process = pool.start_job(spec(tmp_path))
    assert process.stdout is not None
    lines = process.stdout.read().decode().splitlines()
    assert process.wait(timeout=60) == 0
    assert any(line.startswith("[2]#011train-rmse:") for line in lines)
    assert json.loads((tmp_path / "result.json").read_text())["status"] == "Completed"
    assert (tmp_path / "model" / "xgboost-model").is_file()


def test_a_dead_spare_is_replaced_by_a_new_worker(pool: WorkerPool, tmp_path: Path) -> None:
    pool.keep_spare = True
    pool._ensure_spare()
    spare = pool._spare
    assert spare is not None
    spare.kill()
    spare.wait()
    process = pool.start_job(spec(tmp_path))
    assert process is not spare
    assert process.wait(timeout=60) == 0
    if process.stdout is not None:
        process.stdout.close()


def test_a_spare_that_gets_no_job_ends_quietly(pool: WorkerPool) -> None:
    process = pool.take()
    discard(process)
    assert process.returncode == 0


def test_terminate_stops_a_training_worker(pool: WorkerPool, tmp_path: Path) -> None:
    process = pool.start_job(spec(tmp_path, num_round=10_000_000))
    assert process.stdout is not None
    for line in iter(process.stdout.readline, b""):
        if line.startswith(b"[1]"):
            break
    terminate(process)
    assert process.returncode in (3, -signal.SIGKILL)  # Stopped, or killed after the grace time
    process.stdout.close()


def test_workers_wait_passively_unless_told_otherwise() -> None:
    assert worker_environment({})["OMP_WAIT_POLICY"] == "PASSIVE"
    assert worker_environment({"OMP_WAIT_POLICY": "ACTIVE"})["OMP_WAIT_POLICY"] == "ACTIVE"
    assert worker_environment({})["PYTHONUNBUFFERED"] == "1"
