"""XGBoost training worker start-up: what a job in its own process costs over xgboost.train.

The same small job (2,000 rows x 8 features, CSV, 20 rounds, depth 4) is timed as:

- xgboost.train in this process on an already-imported xgboost (DMatrix from numpy + train);
- mlci's training.train in this process (reads and validates the CSV channel, logs, saves);
- a cold worker: `python -m mlci.algorithms.xgboost.worker --spec` from Popen to result.json;
- a warm worker: `--wait-for-spec` started beforehand, from writing the spec line to result.json.

Run: python bench/xgboost_worker.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import xgboost

from mlci.algorithms.xgboost.spec import ChannelSpec, TrainingSpec
from mlci.algorithms.xgboost.training import train

WORKER = [sys.executable, "-m", "mlci.algorithms.xgboost.worker"]
HYPERPARAMETERS = {"num_round": "20", "max_depth": "4", "eta": "0.3"}


def dataset(root: Path) -> tuple[np.ndarray, np.ndarray, Path]:
    rng = np.random.default_rng(4)
    features = np.round(rng.random((2000, 8)), 4)
    labels = features @ rng.random(8)
    folder = root / "train"
    folder.mkdir()
    rows = np.column_stack([labels, features])
    (folder / "train.csv").write_text("\n".join(",".join(f"{v:.6g}" for v in r) for r in rows))
    return features, labels, folder


def spec_file(root: Path, train_dir: Path, name: str) -> Path:
    document = {
        "channels": {"train": {"path": str(train_dir), "content_type": "text/csv"}},
        "hyperparameters": HYPERPARAMETERS,
        "model_dir": str(root / name / "model"),
        "result_path": str(root / name / "result.json"),
        "nthread": 1,
    }
    path = root / f"{name}.json"
    path.write_text(json.dumps(document))
    return path


def wait_for(path: Path) -> None:
    while not path.exists():
        time.sleep(0.001)


def cold(root: Path, train_dir: Path, run: int) -> float:
    spec = spec_file(root, train_dir, f"cold{run}")
    started = time.perf_counter()
    process = subprocess.Popen([*WORKER, "--spec", str(spec)], stdout=subprocess.DEVNULL)
    wait_for(root / f"cold{run}" / "result.json")
    elapsed = time.perf_counter() - started
    process.wait()
    return elapsed


def warm(root: Path, train_dir: Path, run: int, settle: float) -> float:
    spec = spec_file(root, train_dir, f"warm{run}")
    process = subprocess.Popen(
        [*WORKER, "--wait-for-spec"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )
    assert process.stdin is not None
    time.sleep(settle)  # the spare has imported xgboost by now
    started = time.perf_counter()
    process.stdin.write(f"{spec}\n")
    process.stdin.flush()
    wait_for(root / f"warm{run}" / "result.json")
    elapsed = time.perf_counter() - started
    process.stdin.close()
    process.wait()
    return elapsed


def measure(action: Callable[[int], float], repeat: int) -> list[float]:
    return sorted(action(i) for i in range(repeat))


def line(name: str, samples: list[float], baseline: float) -> None:
    median = statistics.median(samples)
    print(f"  {name:46s} {median * 1e3:8.1f} ms  (+{(median - baseline) * 1e3:7.1f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--settle", type=float, default=3.0, help="seconds a warm spare waits")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        features, labels, train_dir = dataset(root)
        params = {"max_depth": 4, "eta": 0.3, "nthread": 1}

        def plain(_: int) -> float:
            started = time.perf_counter()
            xgboost.train(params, xgboost.DMatrix(features, label=labels), num_boost_round=20)
            return time.perf_counter() - started

        def in_process(run: int) -> float:
            spec = TrainingSpec(
                {"train": ChannelSpec(str(train_dir), "text/csv")},
                HYPERPARAMETERS,
                str(root / f"inproc{run}"),
                nthread=1,
            )
            started = time.perf_counter()
            result = train(spec)
            assert result.status == "Completed", result.failure_reason
            return time.perf_counter() - started

        baseline_samples = measure(plain, args.repeat)
        baseline = statistics.median(baseline_samples)
        print(f"xgboost {xgboost.__version__}; median of {args.repeat}; (+) = over xgboost.train")
        line("xgboost.train in process", baseline_samples, baseline)
        line("training.train in process", measure(in_process, args.repeat), baseline)
        line(
            "cold worker: Popen -> result.json",
            measure(lambda i: cold(root, train_dir, i), args.repeat),
            baseline,
        )
        line(
            "warm worker: spec on stdin -> result.json",
            measure(lambda i: warm(root, train_dir, i, args.settle), args.repeat),
            baseline,
        )


if __name__ == "__main__":
    main()
