"""`mlci run`'s fixed costs and its scheduling overhead, next to their targets.

(b) A no-op `mlci run`: the article's setup config on a branch whose change matches no
mapping line — the setup job checks out, filters paths, continues with no workflow —
whole-process wall time (target: at most 1.0 s); and `mlci --help` (target: at most 0.3 s).

(c) A generated workflow of 500 trivial jobs (`run: "true"`): one job fans out to 498 that
fan in to a last one. Scheduling overhead per job = (pipeline wall time - the no-op run's
start-up - the bare cost of the 500 commands) / 500 (target: at most 20 ms). The bare cost is
the same 500 `bash -eo pipefail` scripts run through a pool of the same width, so what is
left is mlci's own work per job: state rows, log, sandbox, environment, venv layer.

Run: python bench/run.py [--quick] [--jobs N]    (prints; writes nothing under docs/)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import machine, table

MLCI = [sys.executable, "-m", "mlci"]
REPO = Path(__file__).resolve().parent.parent
ARTICLE = REPO / "tests" / "fixtures" / "article" / ".circleci"
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@mlci.invalid"]


def git(root: Path, *args: str) -> None:
    subprocess.run([*GIT, "-C", str(root), *args], check=True, capture_output=True)


def environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MLCI_"))}
    env["MLCI_HOME"] = str(home)  # no cloud configured: jobs do not start one
    return env


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    return timed_cpu(command, cwd, env)[0]


def timed_cpu(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) of a command, CPU counting every process it waited for (git, bash):
    the figure a busy machine cannot inflate much."""
    cpu, started = children_cpu(), time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - started, children_cpu() - cpu


def article_repo(root: Path) -> None:
    (root / ".circleci").mkdir(parents=True)
    for name in ("config.yml", "dynamic_config.yml"):
        (root / ".circleci" / name).write_text((ARTICLE / name).read_text())
    for folder in ("abalone_model", "churn_model"):
        (root / folder).mkdir()
        (root / folder / "train_register.py").write_text("print('train')\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "article")
    git(root, "checkout", "-q", "-b", "docs")
    (root / "README.md").write_text("docs only\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "docs")


def fan_config(count: int) -> str:
    middle = count - 2
    lines = [
        "version: 2.1",
        "executors:",
        "  base:",
        "    docker: [{image: cimg/base:stable}]",
        "jobs:",
        "  trivial:",
        "    executor: base",
        "    steps:",
        '      - run: "true"',
        "workflows:",
        "  fan:",
        "    jobs:",
        "      - trivial: {name: start}",
    ]
    lines += [f"      - trivial: {{name: mid-{i}, requires: [start]}}" for i in range(middle)]
    lines.append("      - trivial:")
    lines.append("          name: end")
    lines.append("          requires:")
    lines += [f"            - mid-{i}" for i in range(middle)]
    return "\n".join(lines) + "\n"


def fan_repo(root: Path, count: int) -> None:
    (root / ".circleci").mkdir(parents=True)
    (root / ".circleci" / "config.yml").write_text(fan_config(count))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "fan")


def bare_commands(count: int, width: int, scratch: Path) -> tuple[float, float]:
    """(wall, CPU) of the 500 step scripts alone, through a pool as wide as the runner's."""
    script = scratch / "true.sh"
    script.write_text("true")

    def one(_: int) -> None:
        subprocess.run(
            ["/bin/bash", "-eo", "pipefail", str(script)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            check=True,
        )

    cpu, started = children_cpu(), time.perf_counter()
    with ThreadPoolExecutor(width) as pool:
        list(pool.map(one, range(count)))
    return time.perf_counter() - started, children_cpu() - cpu


def noop_case(scratch: Path, rounds: int) -> tuple[list[tuple[float, float]], list[float]]:
    repo = scratch / "article"
    article_repo(repo)
    env = environment(scratch / "home")
    timed([*MLCI, "run"], repo, env)  # warm: bytecode, venv base, page cache
    runs = [timed_cpu([*MLCI, "run"], repo, env) for _ in range(rounds)]
    helps = [timed([*MLCI, "--help"], repo, env) for _ in range(rounds)]
    return runs, helps


def fan_case(
    scratch: Path, count: int, width: int
) -> tuple[tuple[float, float], tuple[float, float], int]:
    """((wall, CPU) of the pipeline, (wall, CPU) of the bare commands, jobs succeeded)."""
    repo = scratch / "fan"
    fan_repo(repo, count)
    env = environment(scratch / "home")
    pipeline = timed_cpu([*MLCI, "run", "--jobs", str(width)], repo, env)
    status = subprocess.run(
        [*MLCI, "status", "--json"], cwd=repo, env=env, check=True, capture_output=True
    )
    jobs = json.loads(status.stdout)["workflows"][0]["jobs"]
    succeeded = sum(1 for job in jobs if job["status"] == "success")
    return pipeline, bare_commands(count, width, scratch), succeeded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, 100 jobs")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="runner width")
    args = parser.parse_args()
    rounds = 3 if args.quick else 7
    count = 100 if args.quick else 500
    with tempfile.TemporaryDirectory(prefix="mlci-bench-run-") as name:
        scratch = Path(name)
        runs, helps = noop_case(scratch, rounds)
        (wall, cpu), (bare, bare_cpu), succeeded = fan_case(scratch, count, args.jobs)
    walls = [w for w, _ in runs]
    startup = statistics.median(walls)
    startup_cpu = statistics.median(c for _, c in runs)
    overhead = (wall - startup - bare) / count
    overhead_cpu = (cpu - startup_cpu - bare_cpu) / count
    rows = [
        ["(b) no-op `mlci run`, median wall", f"{startup:.3f} s", "≤ 1.0 s"],
        ["(b) no-op `mlci run`, slowest", f"{max(walls):.3f} s", "≤ 1.0 s"],
        ["(b) no-op `mlci run`, median CPU (with git)", f"{startup_cpu:.3f} s", ""],
        ["(b) `mlci --help`, median wall", f"{statistics.median(helps):.3f} s", "≤ 0.3 s"],
        [f"(c) {count} jobs, pipeline wall", f"{wall:.2f} s", ""],
        [f"(c) {count} bare commands, {args.jobs} at a time", f"{bare:.2f} s", ""],
        ["(c) scheduling overhead per job", f"{overhead * 1000:.1f} ms", "≤ 20 ms"],
        ["(c) mlci CPU per job (all processes)", f"{overhead_cpu * 1000:.1f} ms", ""],
    ]
    load = os.getloadavg()[0]
    print(f"mlci run benchmarks on {machine()}; load average {load:.1f} at the end;")
    print(f"{succeeded}/{count} fan jobs succeeded")
    print(table(["measure", "measured", "target"], rows))


if __name__ == "__main__":
    main()
