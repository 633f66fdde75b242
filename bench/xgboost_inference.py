"""XGBoost inference: the Predictor and the model server against calling the booster directly.

A model is trained with the article's hyperparameters (reg:linear, max_depth 5, eta 0.2, ...,
50 rounds) on 8 abalone-like features (4 decimals), then:

- a 10,000-row text/csv request through Predictor.invoke (parse + predict + encode), in rows/s,
  next to booster.inplace_predict / booster.predict(DMatrix) on the already-parsed matrix;
- one-row requests: Predictor.invoke against inplace_predict, p50/p99;
- the same over HTTP to `python -m mlci.algorithms.xgboost.serve` (keep-alive http.client),
  and that process's resident memory.

Run: python bench/xgboost_inference.py [--digits 17] [--repeat 50]
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import xgboost

from mlci.algorithms.xgboost import requests
from mlci.algorithms.xgboost.inference import Predictor
from mlci.algorithms.xgboost.spec import ChannelSpec, TrainingSpec
from mlci.algorithms.xgboost.training import train

ARTICLE = {
    "objective": "reg:linear",
    "max_depth": "5",
    "eta": "0.2",
    "gamma": "4",
    "min_child_weight": "6",
    "subsample": "0.7",
    "num_round": "50",
}
FEATURES = 8


def rows_text(matrix: np.ndarray, digits: int) -> bytes:
    return "\n".join(",".join(f"{v:.{digits}g}" for v in row) for row in matrix).encode()


def trained_model(root: Path, digits: int) -> Path:
    rng = np.random.default_rng(1)
    features = np.round(rng.random((4000, FEATURES)), 4)
    labels = features @ rng.random(FEATURES) * 10
    train_dir = root / "train"
    train_dir.mkdir()
    table = np.column_stack([labels, features])
    (train_dir / "train.csv").write_bytes(rows_text(table, digits) + b"\n")
    result = train(
        TrainingSpec(
            {"train": ChannelSpec(str(train_dir), "text/csv")}, ARTICLE, str(root / "model")
        )
    )
    if result.status != "Completed":
        raise SystemExit(f"training failed: {result.failure_reason}")
    return root / "model"


def timings(action: Callable[[], object], repeat: int) -> list[float]:
    action()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return sorted(samples)


def p(samples: list[float], fraction: float) -> float:
    return samples[min(len(samples) - 1, round(fraction * (len(samples) - 1)))]


def report(name: str, samples: list[float], rows: int) -> None:
    median = statistics.median(samples)
    print(
        f"  {name:44s} p50 {median * 1e3:8.3f} ms  p99 {p(samples, 0.99) * 1e3:8.3f} ms  "
        f"{rows / median:12,.0f} rows/s"
    )


def in_process(model: Path, digits: int, repeat: int) -> None:
    predictor = Predictor.load(model)
    booster = predictor.booster
    rng = np.random.default_rng(2)
    batch = np.round(rng.random((10_000, FEATURES)), 4)
    body = rows_text(batch, digits)
    matrix = requests.features(body, "csv", FEATURES)
    print(f"10,000-row text/csv request ({len(body):,} bytes), one thread:")
    report(
        "Predictor.invoke csv -> csv",
        timings(lambda: predictor.invoke(body, "text/csv", "text/csv"), repeat),
        10_000,
    )
    report(
        "Predictor.invoke csv -> json",
        timings(lambda: predictor.invoke(body, "text/csv", "application/json"), repeat),
        10_000,
    )
    report(
        "  of which: parse (numpy loadtxt)",
        timings(lambda: requests.features(body, "csv", FEATURES), repeat),
        10_000,
    )
    report(
        "booster.inplace_predict(matrix)",
        timings(lambda: booster.inplace_predict(matrix), repeat),
        10_000,
    )
    report(
        "booster.predict(DMatrix(matrix))",
        timings(lambda: booster.predict(xgboost.DMatrix(matrix)), repeat),
        10_000,
    )
    one_body = body.split(b"\n", 1)[0]
    one = matrix[:1]
    print("one-row request:")
    report(
        "Predictor.invoke csv -> csv",
        timings(lambda: predictor.invoke(one_body, "text/csv", "text/csv"), repeat * 20),
        1,
    )
    report(
        "booster.inplace_predict(row)",
        timings(lambda: booster.inplace_predict(one), repeat * 20),
        1,
    )
    report(
        "booster.predict(DMatrix(row))",
        timings(lambda: booster.predict(xgboost.DMatrix(one)), repeat * 20),
        1,
    )


def over_http(model: Path, root: Path, digits: int, repeat: int) -> None:
    port_file = root / "port"
    started = time.perf_counter()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlci.algorithms.xgboost.serve",
            "--model-dir",
            str(model),
            "--port",
            "0",
            "--port-file",
            str(port_file),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        while not port_file.exists():
            if server.poll() is not None:
                raise SystemExit("the model server exited")
            time.sleep(0.005)
        ready = time.perf_counter() - started
        connection = http.client.HTTPConnection("127.0.0.1", int(port_file.read_text()))
        rng = np.random.default_rng(3)
        batch = rows_text(np.round(rng.random((10_000, FEATURES)), 4), digits)
        one = batch.split(b"\n", 1)[0]

        def post(body: bytes) -> None:
            connection.request("POST", "/invocations", body, {"Content-Type": "text/csv"})
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"HTTP {response.status}")

        print(f"over HTTP (serve process ready {ready:.2f} s after start):")
        report("POST /invocations, 10,000 rows", timings(lambda: post(batch), repeat), 10_000)
        report("POST /invocations, one row", timings(lambda: post(one), repeat * 20), 1)
        status = Path(f"/proc/{server.pid}/status")
        if status.exists():
            memory = {
                k: v.strip()
                for k, v in (line.split(":", 1) for line in status.read_text().splitlines())
                if k in ("VmRSS", "VmHWM")
            }
            print(f"  serving process memory: RSS {memory['VmRSS']}, peak {memory['VmHWM']}")
        connection.close()
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--digits", type=int, default=6, help="significant digits per value")
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        model = trained_model(root, args.digits)
        print(f"xgboost {xgboost.__version__}, model: 50 trees, depth 5, {FEATURES} features")
        in_process(model, args.digits, args.repeat)
        over_http(model, root, args.digits, args.repeat)


if __name__ == "__main__":
    main()
