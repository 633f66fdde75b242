"""`mlci changes` against its floor (`git diff --name-only`) and against the orb's algorithm.

Case (a) large: 2,000 model folders, a 20,000-file diff, a 2,000-line mapping; whole-process
`mlci changes --json` next to a bare `git diff --name-only` of the same revisions (target: at
most 2x). Case (a) small: 100 folders, a 1,000-file diff, a 100-line mapping; `mlci changes`
next to the orb's algorithm written as the orb's shell does it (a bash loop over mapping
lines and, inside it, over changed files, one `grep -P` process per pair until the first
match) (target: at least 1000x faster). The orb run is bounded: if its measured cost per pair
says the whole run would take longer than --orb-budget seconds, only the first mapping lines
are run and the total is extrapolated from the exact number of pairs the full run evaluates.

`mlci` runs as a user has it: the console script of a fresh virtual environment holding mlci
and its dependencies, nothing else (made once per run, in the scratch folder), installed by the
current pip. A second environment is installed by the pip that comes with Python (`python -m
venv`, not upgraded): its console script imports `re` before mlci's code runs, which the
current pip's no longer does, so its figures are shown beside. The figures of `python -m mlci`
in the environment running this script are printed too: development environments load
start-up hooks of their own (.pth files) that no user's install has.

Run: python bench/changes.py [--quick] [--orb-budget SECONDS] [--no-write]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import machine, table, write_section

PROJECT = Path(__file__).resolve().parents[1]
ORB_SCRIPT = r"""
set -u
files=$(git -c core.quotepath=false diff --name-only "$BASE" "$HEAD")
count=0
while IFS= read -r line; do
  trimmed="${line#"${line%%[![:space:]]*}"}"
  [[ -z "$trimmed" || "$trimmed" == \#* ]] && continue
  count=$((count + 1))
  (( count > LIMIT )) && break
  read -ra tokens <<< "$line"
  for file in $files; do
    if echo "$file" | grep -qP "^${tokens[0]}\$"; then
      echo "${tokens[1]} ${tokens[2]}"
      break
    fi
  done
done < "$MAPPING_FILE"
"""


@dataclass(frozen=True)
class Case:
    name: str
    folders: int
    files_per_folder: int


def build_repo(root: Path, case: Case) -> Path:
    """A repository whose `feature` branch changes every file of every model folder."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    stream = _fast_import_stream(case)
    subprocess.run(["git", "-C", str(root), "fast-import", "--quiet"], input=stream, check=True)
    subprocess.run(
        ["git", "-C", str(root), "symbolic-ref", "HEAD", "refs/heads/feature"], check=True
    )
    mapping = root.parent / f"{case.name}-mapping.txt"
    lines = [f"model_{i:04d}/.* deploy-model-{i:04d} true" for i in range(case.folders)]
    mapping.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return mapping


def _fast_import_stream(case: Case) -> bytes:
    parts: list[bytes] = []
    for revision, branch in ((1, "main"), (2, "feature")):
        parts.append(f"commit refs/heads/{branch}\n".encode())
        parts.append(b"committer bench <bench@mlci.invalid> 1700000000 +0000\n")
        message = f"revision {revision}".encode()
        parts.append(b"data %d\n%s\n" % (len(message), message))
        if revision == 2:
            parts.append(b"from refs/heads/main\n")
        for folder in range(case.folders):
            for index in range(case.files_per_folder):
                body = f"model {folder} file {index} revision {revision}\n".encode()
                path = f"model_{folder:04d}/src/part_{index:02d}.py"
                parts.append(b"M 644 inline %s\ndata %d\n%s\n" % (path.encode(), len(body), body))
        parts.append(b"\n")
    return b"".join(parts)


@dataclass(frozen=True)
class Timing:
    wall: float  # median seconds
    cpu: float  # median user+system seconds of the process and its children


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def python_environment(cache: Path) -> dict[str, str]:
    """Let Python keep bytecode (in `cache`), as an installed package has it.

    This machine sets PYTHONDONTWRITEBYTECODE=1, which would make every `mlci` process
    compile mlci's own sources again; no user runs it that way.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env


def user_install(scratch: Path, name: str, upgrade_pip: bool) -> Path:
    """A fresh virtual environment with mlci installed as `pip install` installs it, by the
    pip `python -m venv` brings or (upgrade_pip) by the newest pip."""
    venv = scratch / name
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    pip.append("--disable-pip-version-check")
    if upgrade_pip:
        subprocess.run([*pip, "--upgrade", "pip"], check=True, capture_output=True)
    subprocess.run([*pip, str(PROJECT)], check=True, capture_output=True)
    return venv / "bin"


def pip_version(bin_dir: Path) -> str:
    shown = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "--version"], capture_output=True, text=True
    )
    return shown.stdout.split()[1] if shown.returncode == 0 else "?"


def timed_together(
    commands: list[list[str]], cwd: Path, runs: int, env: dict[str, str]
) -> tuple[list[Timing], bytes]:
    """Run the commands in turn, `runs` rounds, so all see the same machine load.

    Returns each command's median timing and the first command's last output.
    """
    walls: list[list[float]] = [[] for _ in commands]
    cpus: list[list[float]] = [[] for _ in commands]
    output = b""
    for _ in range(runs):
        for index, command in enumerate(commands):
            cpu_before, start = _cpu(), time.perf_counter()
            result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=True)
            walls[index].append(time.perf_counter() - start)
            cpus[index].append(_cpu() - cpu_before)
            if index == 0:
                output = result.stdout
    timings = [
        Timing(statistics.median(w), statistics.median(c)) for w, c in zip(walls, cpus, strict=True)
    ]
    return timings, output


@dataclass(frozen=True)
class Measured:
    ours: Timing  # the user's install (current pip): its `mlci` console script
    floor: Timing
    bundled: Timing  # the same, installed by the pip that comes with Python
    python_start: Timing  # that install's `python -c pass`
    script_start: Timing  # `python -c "import re"`: what the older console script loads first
    cli_start: Timing  # `mlci --version`: interpreter, click and mlci.cli
    here: Timing  # `python -m mlci` in the environment running this benchmark
    here_start: Timing  # this environment's `python -c pass`
    output: str


def measure(
    repo: Path, mapping: Path, runs: int, env: dict[str, str], bin_dir: Path, bundled_dir: Path
) -> Measured:
    arguments = ["changes", "--base", "main", "--mapping", str(mapping), "--json"]
    ours = [str(bin_dir / "mlci"), *arguments]
    floor = ["git", "-c", "core.quotepath=false", "diff", "--name-only", "main", "HEAD"]
    bundled = [str(bundled_dir / "mlci"), *arguments]
    python_start = [str(bin_dir / "python"), "-c", "pass"]
    script_start = [str(bin_dir / "python"), "-c", "import re"]
    cli_start = [str(bin_dir / "mlci"), "--version"]
    here = [sys.executable, "-m", "mlci", *arguments]
    here_start = [sys.executable, "-c", "pass"]
    for command in (ours, bundled, here):
        subprocess.run(command, cwd=repo, env=env, capture_output=True, check=True)  # warm
    commands = [ours, floor, bundled, python_start, script_start, cli_start, here, here_start]
    timings, output = timed_together(commands, repo, runs, env)
    return Measured(*timings, output=output.decode().strip())


def orb_pairs_per_line(repo: Path, mapping: Path) -> list[int]:
    """How many (line, file) pairs the orb's loop tests for each mapping line, exactly."""
    files = subprocess.run(
        ["git", "-c", "core.quotepath=false", "diff", "--name-only", "main", "HEAD"],
        cwd=repo, capture_output=True, check=True, text=True,
    ).stdout.split()  # fmt: skip
    pairs = []
    for line in mapping.read_text(encoding="utf-8").splitlines():
        prefix = line.split()[0].removesuffix(".*")
        first = next((i for i, name in enumerate(files) if name.startswith(prefix)), None)
        pairs.append(len(files) if first is None else first + 1)
    return pairs


def run_orb(repo: Path, mapping: Path, lines: int) -> tuple[float, list[str]]:
    env = dict(os.environ, BASE="main", HEAD="HEAD", MAPPING_FILE=str(mapping), LIMIT=str(lines))
    start = time.perf_counter()
    result = subprocess.run(
        ["bash", "-c", ORB_SCRIPT], cwd=repo, env=env, capture_output=True, check=True, text=True
    )
    return time.perf_counter() - start, result.stdout.split("\n")[:-1]


def orb_estimate(repo: Path, mapping: Path, budget: float) -> tuple[float, str, list[str]]:
    """(orb seconds, how obtained, parameter lines it printed)."""
    pairs = orb_pairs_per_line(repo, mapping)
    probe_lines = 3
    probe_time, _ = run_orb(repo, mapping, probe_lines)
    per_pair = probe_time / sum(pairs[:probe_lines])
    if per_pair * sum(pairs) <= budget:
        elapsed, printed = run_orb(repo, mapping, len(pairs))
        return elapsed, f"measured, all {sum(pairs):,} pairs", printed
    lines = 1
    while lines < len(pairs) and per_pair * sum(pairs[: lines + 1]) <= budget:
        lines += 1
    elapsed, printed = run_orb(repo, mapping, lines)
    ran = sum(pairs[:lines])
    total = elapsed / ran * sum(pairs)
    how = f"extrapolated from {lines} of {len(pairs)} lines ({ran:,} of {sum(pairs):,} pairs)"
    return total, how, printed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller cases, fewer runs")
    parser.add_argument("--orb-budget", type=float, default=180.0, help="seconds for the orb run")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()
    large = Case("large", 200 if args.quick else 2000, 10)
    small = Case("small", 100, 10)
    runs = 3 if args.quick else 9
    rows, notes = [], []
    with tempfile.TemporaryDirectory(prefix="mlci-bench-changes-") as scratch:
        bin_dir = user_install(Path(scratch), "venv", upgrade_pip=True)
        bundled_dir = user_install(Path(scratch), "venv-bundled-pip", upgrade_pip=False)
        pips = (pip_version(bin_dir), pip_version(bundled_dir))
        env = python_environment(Path(scratch) / "pycache")
        for case in (large, small):
            repo = Path(scratch) / case.name
            mapping = build_repo(repo, case)
            measured = measure(repo, mapping, runs, env, bin_dir, bundled_dir)
            _check_answer(measured.output, case)
            label = (
                f"{case.folders:,} folders, {case.folders * case.files_per_folder:,}-file diff,"
                f" {case.folders:,}-line mapping"
            )
            ours, floor = measured.ours, measured.floor
            target = " (target ≤ 2x)" if case is large else " (no target: start-up dominates)"
            verdict = f"{ours.wall / floor.wall:.1f}x the floor{target}"
            rows.append([label, "git diff --name-only (floor)", _both(floor), _both(ours), verdict])
            rows.append(
                [label, "git diff --name-only (floor)", _both(floor), _both(measured.bundled),
                 f"{measured.bundled.wall / floor.wall:.1f}x: installed by pip {pips[1]}"
                 " (Python's own), whose script imports `re` first"]
            )  # fmt: skip
            rows.append(
                [label, "git diff --name-only (floor)", _both(floor), _both(measured.here),
                 f"{measured.here.wall / floor.wall:.1f}x: `python -m mlci` here, see below"]
            )  # fmt: skip
            # git runs while Python loads, so the process's wall time is less than the sum of
            # its CPU; what it spends is told in CPU, which other work on the machine does not
            # inflate as it does wall time.
            notes.append(
                f"{label}: `mlci changes` takes {_ms(ours.wall)}, {_ms(ours.wall - floor.wall)}"
                f" more than the floor, and spends {_ms(ours.cpu)} of CPU, its git processes"
                f" included (the floor's git: {_ms(floor.cpu)}). Before its own code runs, the"
                f" interpreter has started ({_ms(measured.python_start.wall)} for `python -c"
                f" pass`); the console script of pip {pips[1]} imports `re` as well"
                f" ({_ms(measured.script_start.wall)} for both), that of pip {pips[0]} does not."
                f" `mlci --version`, which loads click, takes {_ms(measured.cli_start.wall)}."
                " In the environment running the"
                f" benchmark, whose start-up hooks make `python -c pass` alone take"
                f" {_ms(measured.here_start.wall)}, `python -m mlci changes` takes"
                f" {_ms(measured.here.wall)}."
            )
            if case is small:
                orb, how, printed = orb_estimate(repo, mapping, args.orb_budget)
                if any(line != f"deploy-model-{i:04d} true" for i, line in enumerate(printed)):
                    raise SystemExit(f"the orb script answered unexpectedly: {printed[:3]}")
                verdict = f"{orb / ours.wall:,.0f}x faster (target ≥ 1000x)"
                theirs = f"orb: bash loop + grep -P per pair ({how})"
                rows.append([label, theirs, f"{orb:.1f} s", _ms(ours.wall), verdict])
    body = "\n\n".join(
        [
            f"Machine: {machine()}, shared with other work while measuring. `mlci changes` is"
            " the whole process (`mlci changes --base main --mapping FILE --json`, the console"
            " script of a fresh virtual environment with mlci installed by pip"
            f" {pips[0]}), median of {runs} runs interleaved with the others; the floor is one"
            " `git diff --name-only main HEAD` process on the same repository. Repositories"
            " are generated with git fast-import: every file of every model folder changes on"
            " the branch; mapping lines are `model_NNNN/.* deploy-model-NNNN true`. Python"
            " keeps its bytecode between runs, as for an installed package (this machine sets"
            " PYTHONDONTWRITEBYTECODE, which would recompile mlci's sources on every run).",
            table(["case", "compared with", "theirs", "mlci changes", "result"], rows),
            "Where the time goes:\n\n" + "\n".join(f"- {note}" for note in notes),
            "How it stays close to the floor: the diff starts from the commits the ref files"
            " name (`pipeline/git_refs.py`; git's own answer, started at the same time, decides"
            " whether that diff is used) before the rest of mlci has loaded"
            " (`pipeline/git_prefetch.py`), and runs on one core while Python loads mlci and"
            " parses the mapping on the other. That loading imports neither typing, re, json,"
            " enum nor pathlib (`mlci.named_tuple`), and after the diff ends the 2,000 lines"
            " are matched against the 20,000 paths in one batch of bisections, with the cyclic"
            " garbage collector off. What is left above the floor is the interpreter's start,"
            " reading the diff's 20,000 paths and matching them, and the console script's"
            " own imports.",
            "Reproduce: `python bench/changes.py` (add `--quick` for a smaller large case).",
        ]
    )
    print(body)
    if not args.no_write and not args.quick:
        write_section("mlci changes", body)


def _check_answer(output: str, case: Case) -> None:
    expected = {f'"deploy-model-{i:04d}": true' for i in range(case.folders)}
    if set(output.strip("{}").split(", ")) != expected:
        raise SystemExit(f"mlci changes answered wrongly on {case.name}: {output[:200]}")


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def _both(timing: Timing) -> str:
    return f"{_ms(timing.wall)} ({_ms(timing.cpu)} CPU)"


if __name__ == "__main__":
    main()
