"""Training-job overhead: CreateTrainingJob -> Completed against xgboost.train in this process.

For each workload the same data and hyperparameters are trained
- in process: DMatrix from numpy arrays already in memory, then xgboost.train with the job's
  parameters, evaluation sets and thread count (the harshest baseline: no file reading);
- as a job: boto3 CreateTrainingJob against `mlci cloud` (which waits for the job to end) until
  DescribeTrainingJob shows Completed; the job reads its CSV channels from the cloud's S3,
  trains in a worker process, logs to CloudWatch Logs and stores model.tar.gz.

Jobs are run with a pause between them (as between the jobs of a pipeline) and back to back
(the next CreateTrainingJob as soon as DescribeTrainingJob shows the last one Completed). Both
sides use OMP_WAIT_POLICY=PASSIVE, as the cloud's workers do.

Run: python bench/training_overhead.py [--repeat 7] [--pause 2] [--no-write]
Uses the real abalone data when MLCI_SAMPLES_DIR is set, synthetic data of its shape otherwise.
Writes the "Training overhead" section of docs/benchmarks.md (bench/report.py) unless told not to.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before xgboost loads OpenMP

import numpy as np
import xgboost

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import machine, table, write_section
from servers import Server, start_mlci

REGION = "us-east-1"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.5-1"
ARTICLE = {  # the article's abalone hyperparameters
    "objective": "reg:squarederror",
    "max_depth": "5",
    "eta": "0.2",
    "gamma": "4",
    "min_child_weight": "6",
    "subsample": "0.7",
    "num_round": "50",
}
SMALL = {"max_depth": "4", "eta": "0.3", "num_round": "20"}
TARGET_MS = 500
TITLE = "Training overhead (bench/training_overhead.py)"
DESIGN = """\
Each job runs in a fresh worker process forked from a zygote: one process that imported numpy
and xgboost when the cloud started and never trains (so no OpenMP thread pool exists when it
forks). No job waits for a worker's import of xgboost (0.3-1 s here), however soon it follows
the last one. The previous design (one warm spare, replaced after each job) made a job that
followed another wait for the replacement's import whenever that import was slower than the
upload and the next job's download: 705 and 1,412 ms of overhead in the issue's run at load
about 4. On the day of this run it did not show: the old design measured 54 and 57 ms back to
back at load about 1, and 72 and 92 ms with two busy loops added. The zygote costs about 20 ms
a job instead: a forked child copies the pages it writes (about 1,650 more minor page faults
for the abalone job; 92-110 ms of training in a forked child against 72-87 ms in a fresh
process). Figures on this shared machine vary by 2-5x with the load of the moment."""


@dataclass(frozen=True)
class Workload:
    name: str
    train: np.ndarray  # label first
    validation: np.ndarray
    hyperparameters: dict[str, str]


def abalone_rows() -> np.ndarray:
    folder = os.environ.get("MLCI_SAMPLES_DIR")
    if folder and (Path(folder) / "abalone.data").is_file():
        sex = {"M": 1.0, "F": 2.0, "I": 3.0}
        rows = []
        for line in (Path(folder) / "abalone.data").read_text().split():
            code, *measures, rings = line.split(",")
            rows.append([float(rings), sex[code], *map(float, measures)])
        return np.array(rows)
    rng = np.random.default_rng(1)
    features = rng.random((4177, 8))
    return np.column_stack([features @ rng.random(8) * 10, features])


def workloads() -> list[Workload]:
    rng = np.random.default_rng(4)
    small = rng.random((2500, 9))
    small[:, 0] = small[:, 1:] @ rng.random(8)
    abalone = abalone_rows()
    rng.shuffle(abalone)
    cut = len(abalone) * 7 // 10
    return [
        Workload("2,000 x 8, 20 rounds", small[:2000], small[2000:], SMALL),
        Workload(
            f"abalone {len(abalone)} rows, article params", abalone[:cut], abalone[cut:], ARTICLE
        ),
    ]


def csv_bytes(rows: np.ndarray) -> bytes:
    return "".join(",".join(f"{v:.6g}" for v in row) + "\n" for row in rows).encode()


def in_process(workload: Workload, nthread: int) -> float:
    params: dict[str, object] = {
        k: v for k, v in workload.hyperparameters.items() if k != "num_round"
    }
    params["nthread"] = nthread
    started = time.perf_counter()
    train = xgboost.DMatrix(workload.train[:, 1:], label=workload.train[:, 0], nthread=nthread)
    valid = xgboost.DMatrix(
        workload.validation[:, 1:], label=workload.validation[:, 0], nthread=nthread
    )
    xgboost.train(
        params,
        train,
        num_boost_round=int(workload.hyperparameters["num_round"]),
        evals=[(train, "train"), (valid, "validation")],
        verbose_eval=False,
    )
    return time.perf_counter() - started


def client(server: Server, service: str) -> Any:
    return server.client(service, REGION, retries={"max_attempts": 1})


def as_job(sm: object, bucket: str, prefix: str, workload: Workload) -> float:
    name = f"bench-{uuid.uuid4().hex[:12]}"
    channels = [
        {
            "ChannelName": part,
            "ContentType": "text/csv",
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": f"s3://{bucket}/{prefix}/{part}/",
                }
            },
        }
        for part in ("train", "validation")
    ]
    started = time.perf_counter()
    sm.create_training_job(  # type: ignore[attr-defined]
        TrainingJobName=name,
        AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        RoleArn="arn:aws:iam::123456789012:role/bench",
        HyperParameters=workload.hyperparameters,
        InputDataConfig=channels,
        OutputDataConfig={"S3OutputPath": f"s3://{bucket}/models"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        StoppingCondition={"MaxRuntimeInSeconds": 600},
    )
    while True:
        status = sm.describe_training_job(TrainingJobName=name)["TrainingJobStatus"]  # type: ignore[attr-defined]
        if status in ("Completed", "Failed", "Stopped"):
            break
        time.sleep(0.01)
    elapsed = time.perf_counter() - started
    if status != "Completed":
        raise RuntimeError(f"benchmark job {name} ended {status}")
    return elapsed


def median_ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:.0f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--pause", type=float, default=2.0, help="seconds between paced jobs")
    parser.add_argument("--no-write", action="store_true", help="print only; leave the docs")
    args = parser.parse_args()
    nthread = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0
    nthread = nthread or os.cpu_count() or 1
    server = start_mlci()
    try:
        s3, sm = client(server, "s3"), client(server, "sagemaker")
        bucket = "bench-training"
        s3.create_bucket(Bucket=bucket)  # type: ignore[attr-defined]
        found = workloads()
        for index, workload in enumerate(found):
            for part, rows in (("train", workload.train), ("validation", workload.validation)):
                s3.put_object(  # type: ignore[attr-defined]
                    Bucket=bucket, Key=f"w{index}/{part}/{part}.csv", Body=csv_bytes(rows)
                )
        time.sleep(args.pause)  # the cloud's first spare worker starts with the cloud
        print(f"training overhead on {machine()}, xgboost {xgboost.__version__}, nthread {nthread}")
        print(
            f"{'workload':40} {'mode':14} {'in-process ms':>14} {'job ms':>8} "
            f"{'overhead ms':>12} {'max overhead':>13}"
        )
        loads = [os.getloadavg()[0]]
        results: list[list[str]] = []
        for index, workload in enumerate(found):
            in_process(workload, nthread)  # warm xgboost's code paths once
            for mode, pause in (("paced", args.pause), ("back-to-back", 0.0)):
                local, remote = [], []
                for _ in range(args.repeat):
                    local.append(in_process(workload, nthread))
                    time.sleep(pause)
                    remote.append(as_job(sm, bucket, f"w{index}", workload))
                overheads = [r - lo for r, lo in zip(remote, local, strict=True)]
                print(
                    f"{workload.name:40} {mode:14} {median_ms(local):>14} {median_ms(remote):>8} "
                    f"{median_ms(overheads):>12} {max(overheads) * 1000:>12.0f}"
                )
                results.append(doc_row(workload, mode, pause, local, remote, overheads))
                loads.append(os.getloadavg()[0])
    finally:
        server.stop()
    if not args.no_write:
        write_section(TITLE, section(results, args.repeat, nthread, min(loads), max(loads)))
    return 0


def doc_row(
    workload: Workload,
    mode: str,
    pause: float,
    local: list[float],
    remote: list[float],
    overheads: list[float],
) -> list[str]:
    median = statistics.median(overheads) * 1000
    verdict = f"≤ {TARGET_MS}" + ("" if median <= TARGET_MS else " (misses)")
    return [
        workload.name,
        f"{pause:g} s between jobs" if mode == "paced" else "back to back",
        median_ms(local),
        median_ms(remote),
        f"{median:,.0f}",
        f"{max(overheads) * 1000:,.0f}",
        verdict,
    ]


def section(rows: list[list[str]], repeat: int, nthread: int, low: float, high: float) -> str:
    header = ["workload", "mode", "in-process", "training job", "overhead", "max", "target"]
    return (
        "CreateTrainingJob → Completed against an in-process `xgboost.train` on the same data, "
        f"params and threads (data already in memory for the baseline). {nthread} cores, load "
        f"average {low:.1f} to {high:.1f} during the run (the machine is shared); medians of "
        f"{repeat}, ms.\n\n{table(header, rows)}\n\n{DESIGN}\n"
    )


if __name__ == "__main__":
    sys.exit(main())
