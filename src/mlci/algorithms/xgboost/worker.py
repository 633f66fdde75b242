"""Run one XGBoost training job in its own process, so the caller never blocks and can kill it.

    python -m mlci.algorithms.xgboost.worker --spec spec.json [--result result.json]
    python -m mlci.algorithms.xgboost.worker --wait-for-spec [--result result.json]

The spec is the JSON described in `spec`; the result file defaults to the spec's
`result_path`. Log lines (CloudWatch form, see `logs`) go to stdout, one per line, flushed as
they are produced; worker problems go to stderr. The result JSON is written atomically (temp
file, fsync, rename) before the process exits, so a result file that exists is complete.

`--wait-for-spec` is the warm mode: the process imports numpy and xgboost (most of a cold
start), then blocks reading one line from stdin — a spec path, or the spec JSON itself — and
runs that job exactly as `--spec` would. The cloud's workers run this mode in children forked
by `zygote`, which has done the imports once; the process still ends with its job, so every job
gets a fresh process that can be killed on its own, and nothing leaks from one job into the
next. EOF on stdin before a spec line ends the process quietly (exit 0).

Exit codes: 0 the job Completed; 1 the job Failed (bad hyperparameters or data, xgboost error,
MaxRuntimeInSeconds exceeded: see FailureReason in the result); 2 the worker could not run the
job (unreadable spec, no result path, an internal error; a result is written when possible);
3 the job was stopped by SIGTERM or SIGINT (result status Stopped).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from mlci.algorithms.xgboost import spec as specs
from mlci.algorithms.xgboost.process import skip_unused_xgboost_integrations
from mlci.files import write_atomically

EXIT_COMPLETED, EXIT_FAILED, EXIT_WORKER_ERROR, EXIT_STOPPED = 0, 1, 2, 3


class _SpecProblem(Exception):
    """The spec could not be read; the message says why."""


class _Stopped(BaseException):
    """Raised in the main thread by SIGTERM/SIGINT; BaseException so no handler swallows it."""


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    skip_unused_xgboost_integrations()
    from mlci.algorithms.xgboost import training  # xgboost: the bulk of start-up, done up front

    out = sys.stdout  # captured now: training redirects sys.stdout while xgboost runs
    try:
        document = _read_spec(args)
    except _SpecProblem as problem:
        return _worker_error(str(problem), Path(args.result) if args.result else None)
    if document is None:
        return EXIT_COMPLETED  # a warm spare that was never given a job
    result_path = args.result or document.get("result_path")
    if not isinstance(result_path, str):
        return _worker_error("the spec has no result_path and --result was not given")
    try:
        job = specs.TrainingSpec.from_json(document, log=_line_printer(out))
    except ValueError as error:
        return _worker_error(f"invalid spec: {error}", Path(result_path))
    return _run(training.train, job, Path(result_path))


def _run(
    train: Callable[[specs.TrainingSpec], specs.TrainingResult],
    job: specs.TrainingSpec,
    result_path: Path,
) -> int:
    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        result = train(job)
    except _Stopped:
        result = specs.TrainingResult("Stopped", "Stopped", "Training job stopped by request")
    except Exception as error:  # a bug: still leave a result the caller can show
        traceback.print_exc(file=sys.stderr)
        return _worker_error(f"internal error: {type(error).__name__}: {error}", result_path)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    _write_result(result_path, result)
    if result.status == "Completed":
        return EXIT_COMPLETED
    return EXIT_STOPPED if result.status == "Stopped" else EXIT_FAILED


def _stop(signum: int, frame: FrameType | None) -> None:
    raise _Stopped


def _line_printer(out: TextIO) -> Callable[[str], None]:
    def emit(line: str) -> None:
        out.write(line + "\n")
        out.flush()

    return emit


def _read_spec(args: argparse.Namespace) -> dict[str, Any] | None:
    if args.wait_for_spec:
        line = sys.stdin.readline().strip()
        if not line:
            return None
        source = line
    else:
        source = args.spec
    try:
        text = source if source.startswith("{") else Path(source).read_text()
        document = json.loads(text)
    except (OSError, ValueError) as error:
        raise _SpecProblem(f"cannot read the spec {source[:200]!r}: {error}") from None
    if not isinstance(document, dict):
        raise _SpecProblem("the spec must be a JSON object")
    return document


def _worker_error(message: str, result_path: Path | None = None) -> int:
    print(message, file=sys.stderr, flush=True)
    if result_path is not None:
        _write_result(result_path, specs.TrainingResult("Failed", "Failed", message))
    return EXIT_WORKER_ERROR


def _write_result(path: Path, result: specs.TrainingResult) -> None:
    write_atomically(path, specs.dumps(result.to_json()).encode())


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m mlci.algorithms.xgboost.worker",
        description="Run one SageMaker XGBoost training job in this process.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--spec", help="path of the job spec JSON")
    source.add_argument(
        "--wait-for-spec", action="store_true", help="import xgboost, then read one spec from stdin"
    )
    parser.add_argument("--result", help="where to write result.json (default: spec result_path)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
