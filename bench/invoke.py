"""InvokeEndpoint, side by side in one run: an mlci cloud endpoint, `mlflow models serve` of the
same booster, and the HTTP floor of mlci's own server stack (a runtime that answers a
constant); then 10,000-row CSV invocations, and the memory of each model server.

    MLCI_SAMPLES_DIR=<folder with abalone.data> python bench/invoke.py [--seconds 20]

(a) one abalone row per request, 16 keep-alive connections (wrk), `--seconds` each, taken in
    interleaved rounds (ours, MLflow, floor, ours, ...) so that all three see the same
    background load of a shared machine. MLflow's server reads CSV only with a header row, so
    it gets one; the others get the row alone.
(b) 10,000 rows per request (about 430 kB of CSV) to an endpoint of two instances.
(e) VmRSS of every model-server process, after the load.
Targets: (a) >= 20x MLflow's requests/s, >= 40 % of the floor's, p99 <= 10 ms; (b) >= 500k
rows/s; (e) <= 150 MB per server.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hosting_support import (
    Signed,
    WrkResult,
    abalone,
    client,
    create_endpoint,
    csv_rows,
    model_server_pids,
    model_tarball,
    rss_mb,
    signed_invocation,
    train_booster,
    upload_model,
    wait_for,
    wrk,
)
from report import machine, table
from servers import Server, free_port, start_mlci

CONNECTIONS = 16
BATCH_ROWS = 10_000
BATCH_CONNECTIONS = 4
HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="per target, all rounds")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds per target")
    parser.add_argument("--instances", type=int, default=1, help="instances of the (a) endpoint")
    args = parser.parse_args()
    features, labels = abalone()
    booster = train_booster(features, labels)
    one_row, batch = csv_rows(features[:1]), csv_rows(np.resize(features, (BATCH_ROWS, 8)))
    with contextlib.ExitStack() as servers:
        cloud = start_mlci()
        servers.callback(cloud.stop)
        url = upload_model(cloud, "abalone/model.tar.gz", model_tarball(booster))
        create_endpoint(cloud, "bench-invoke", url, args.instances)
        create_endpoint(cloud, "bench-batch", url, 2)
        check_answer(cloud, booster, features)
        targets: dict[str, Signed | str] = {
            "mlci cloud endpoint": signed_invocation(cloud, "bench-invoke", one_row, "text/csv"),
            "mlflow models serve": servers.enter_context(mlflow_target(booster, one_row)),
            "HTTP floor (constant)": servers.enter_context(floor_target(one_row)),
        }
        results = interleaved(targets, args.seconds, args.rounds)
        batch_target = signed_invocation(cloud, "bench-batch", batch, "text/csv")
        batch_result = wrk(batch_target, args.seconds, BATCH_CONNECTIONS)
        memory = {pid: rss_mb(pid) for pid in model_server_pids(cloud.process.pid)}
    report(results, batch_result, memory, args)
    return 0


def interleaved(
    targets: dict[str, Signed | str], seconds: float, rounds: int
) -> dict[str, WrkResult | str]:
    """Each target for `seconds` in all, in `rounds` turns taken in rotation, so that every
    target sees the same background load of a shared machine. Requests/s is the total over all
    rounds; p50 and p99 are the medians of the rounds'."""
    runs: dict[str, list[WrkResult]] = {name: [] for name in targets}
    for _ in range(rounds):
        for name, target in targets.items():
            if isinstance(target, Signed):
                runs[name].append(wrk(target, seconds / rounds, CONNECTIONS))
    results: dict[str, WrkResult | str] = {}
    for name, target in targets.items():
        if isinstance(target, str):
            results[name] = target
            continue
        done = runs[name]
        results[name] = WrkResult(
            sum(r.requests for r in done) / seconds,
            statistics.median(r.p50_ms for r in done),
            statistics.median(r.p99_ms for r in done),
            sum(r.requests for r in done),
            sum(r.failed for r in done),
        )
    return results


def check_answer(cloud: Server, booster: Any, features: np.ndarray) -> None:
    reply = client(cloud, "sagemaker-runtime").invoke_endpoint(
        EndpointName="bench-invoke", Body=csv_rows(features[:5]), ContentType="text/csv"
    )
    served = np.array([float(v) for v in reply["Body"].read().split()])
    expected = booster.inplace_predict(features[:5])
    if not np.allclose(served, expected, rtol=1e-6):
        sys.exit(f"the endpoint answered {served}, the booster predicts {expected}")


@contextlib.contextmanager
def floor_target(one_row: bytes) -> Iterator[Signed]:
    home = Path(tempfile.mkdtemp(prefix="mlci-floor-"))
    process = subprocess.Popen(
        [sys.executable, str(HERE / "floor_server.py"), str(home)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not (home / "server.json").exists():
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the floor server did not start")
            time.sleep(0.05)
        url = json.loads((home / "server.json").read_text())["url"]
        wait_for(url + "/_mlci/health")
        creds = json.loads((home / "credentials.json").read_text())
        floor = Server("floor", url, creds["access_key_id"], creds["secret_access_key"], process)
        yield signed_invocation(floor, "floor", one_row, "text/csv")
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(home, ignore_errors=True)


@contextlib.contextmanager
def mlflow_target(booster: Any, one_row: bytes) -> Iterator[Signed | str]:
    try:
        import mlflow.xgboost
    except ImportError:
        yield "not run: mlflow is not installed (pip install -e '.[bench]')"
        return
    scratch = Path(tempfile.mkdtemp(prefix="mlci-mlflow-"))
    model_dir, port = scratch / "model", free_port()
    mlflow.xgboost.save_model(booster, str(model_dir))
    env = {**os.environ, "MLFLOW_TRACKING_URI": (scratch / "mlruns").as_uri()}
    command = [
        shutil.which("mlflow") or "mlflow",
        "models",
        "serve",
        "-m",
        str(model_dir),
        "--env-manager",
        "local",
        "-p",
        str(port),
        "-h",
        "127.0.0.1",
    ]
    # the CLI starts the scoring server as a child of its own: end the whole session
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(url + "/ping")
        header = ",".join(f"f{i}" for i in range(8)).encode() + b"\n"
        yield Signed(url + "/invocations", {"Content-Type": "text/csv"}, header + one_row)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        shutil.rmtree(scratch, ignore_errors=True)


def report(
    results: dict[str, WrkResult | str],
    batch: WrkResult,
    memory: dict[int, float],
    args: argparse.Namespace,
) -> None:
    print(f"\nInvokeEndpoint benchmark - {machine()}")
    print(
        f"(a) one CSV row per request, {CONNECTIONS} connections, {args.seconds:g} s each in "
        f"{args.rounds} interleaved rounds; mlci endpoint with {args.instances} instance(s)\n"
    )
    rows = []
    for name, result in results.items():
        if isinstance(result, str):
            rows.append([name, result, "", "", ""])
        else:
            rows.append(
                [
                    name,
                    f"{result.requests_per_second:,.0f}",
                    f"{result.p50_ms:.2f}",
                    f"{result.p99_ms:.2f}",
                    str(result.failed),
                ]
            )
    print(table(["server", "requests/s", "p50 ms", "p99 ms", "failed"], rows))
    ours = results["mlci cloud endpoint"]
    mlflow, floor = results["mlflow models serve"], results["HTTP floor (constant)"]
    assert isinstance(ours, WrkResult) and isinstance(floor, WrkResult)
    checks = []
    if isinstance(mlflow, WrkResult) and mlflow.requests_per_second:
        ratio = ours.requests_per_second / mlflow.requests_per_second
        checks.append(["requests/s vs MLflow", f"{ratio:.1f}x", ">= 20x", _verdict(ratio >= 20)])
    share = ours.requests_per_second / floor.requests_per_second
    checks.append(["requests/s vs floor", f"{share:.0%}", ">= 40%", _verdict(share >= 0.4)])
    checks.append(["p99", f"{ours.p99_ms:.2f} ms", "<= 10 ms", _verdict(ours.p99_ms <= 10)])
    rows_per_second = batch.requests_per_second * BATCH_ROWS
    checks.append(
        [
            f"(b) {BATCH_ROWS:,}-row CSV, 2 instances, {BATCH_CONNECTIONS} connections",
            f"{rows_per_second:,.0f} rows/s (p99 {batch.p99_ms:.0f} ms, {batch.failed} failed)",
            ">= 500,000",
            _verdict(rows_per_second >= 500_000),
        ]
    )
    largest = max(memory.values(), default=float("nan"))
    checks.append(
        [
            f"(e) RSS per model server ({len(memory)} servers)",
            ", ".join(f"{v:.0f}" for v in sorted(memory.values())) + " MB",
            "<= 150 MB",
            _verdict(largest <= 150),
        ]
    )
    print()
    print(table(["measure", "value", "target", ""], checks))


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


if __name__ == "__main__":
    sys.exit(main())
