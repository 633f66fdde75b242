"""The training worker as a real subprocess: exit codes, streamed logs, result.json."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mlci.algorithms.xgboost.spec import ChannelSpec

WORKER = [sys.executable, "-m", "mlci.algorithms.xgboost.worker"]
ROUND = re.compile(r"^\[\d+\]#011train-rmse:\d+\.\d{5}#011validation-rmse:\d+\.\d{5}$")


def spec_document(
    tmp_path: Path, channels: dict[str, ChannelSpec], **hyperparameters: str
) -> dict[str, Any]:
    return {
        "channels": {
            n: {"path": c.path, "content_type": c.content_type} for n, c in channels.items()
        },
        "hyperparameters": hyperparameters,
        "model_dir": str(tmp_path / "model"),
        "result_path": str(tmp_path / "result.json"),
        "nthread": 1,
    }


def write_spec(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(document))
    return path


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*WORKER, *args], input=stdin, capture_output=True, text=True, timeout=120, check=False
    )


def result_of(tmp_path: Path) -> dict[str, Any]:
    return json.loads((tmp_path / "result.json").read_text())  # type: ignore[no-any-return]


def test_a_completed_job(tmp_path: Path, regression_csv: dict[str, ChannelSpec]) -> None:
    spec = write_spec(tmp_path, spec_document(tmp_path, regression_csv, num_round="5"))

    finished = run("--spec", str(spec))

    assert finished.returncode == 0, finished.stderr
    lines = finished.stdout.splitlines()
    assert sum(bool(ROUND.match(line)) for line in lines) == 5
    assert "INFO] Running the SageMaker XGBoost algorithm (mlci, xgboost " in lines[0]
    result = result_of(tmp_path)
    assert result["status"] == "Completed" and result["failure_reason"] is None
    assert [m["MetricName"] for m in result["final_metrics"]] == ["train:rmse", "validation:rmse"]
    assert Path(result["model_path"]).is_file()
    assert not list(tmp_path.glob(".result.json.*"))  # the temporary file was renamed away


def test_a_failed_job_exits_1_with_the_reason(
    tmp_path: Path, regression_csv: dict[str, ChannelSpec]
) -> None:
    spec = write_spec(tmp_path, spec_document(tmp_path, regression_csv, max_depth="3"))

    finished = run("--spec", str(spec))

    assert finished.returncode == 1
    result = result_of(tmp_path)
    assert result["status"] == "Failed" and result["secondary_status"] == "Failed"
    assert result["failure_reason"] == "Missing required hyperparameter: num_round"


def test_an_unreadable_spec_exits_2(tmp_path: Path) -> None:
    (tmp_path / "spec.json").write_text("{not json")

    with_result = run(
        "--spec", str(tmp_path / "spec.json"), "--result", str(tmp_path / "result.json")
    )
    without = run("--spec", str(tmp_path / "absent.json"))

    assert with_result.returncode == 2
    assert result_of(tmp_path)["failure_reason"].startswith("cannot read the spec")
    assert without.returncode == 2 and "cannot read the spec" in without.stderr


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"result_path": None}, "the spec has no result_path and --result was not given"),
        ({"model_dir": None}, "invalid spec: spec field 'model_dir' must be a path"),
        ({"channels": {"train": "x"}}, "invalid spec: spec field 'channels' must map names"),
        ({"hyperparameters": []}, "invalid spec: spec field 'hyperparameters' must be an object"),
        ({"nthread": 1.5}, "invalid spec: spec field 'nthread' must be a positive integer"),
        ({"max_runtime_seconds": "long"}, "spec field 'max_runtime_seconds' must be a positive"),
    ],
)
def test_an_invalid_spec_exits_2(
    tmp_path: Path, regression_csv: dict[str, ChannelSpec], change: dict[str, Any], message: str
) -> None:
    document = {**spec_document(tmp_path, regression_csv, num_round="2"), **change}
    document = {k: v for k, v in document.items() if v is not None}
    spec = write_spec(tmp_path, document)

    finished = run("--spec", str(spec))

    assert finished.returncode == 2
    assert message in finished.stderr
    if "result_path" in document:  # the caller still gets a result to show
        assert message in result_of(tmp_path)["failure_reason"]


def test_warm_mode_takes_its_job_from_stdin(
    tmp_path: Path, regression_csv: dict[str, ChannelSpec]
) -> None:
    spec = write_spec(tmp_path, spec_document(tmp_path, regression_csv, num_round="3"))

    by_path = run("--wait-for-spec", stdin=f"{spec}\n")
    inline = run(
        "--wait-for-spec",
        "--result",
        str(tmp_path / "inline.json"),
        stdin=json.dumps(spec_document(tmp_path, regression_csv, num_round="2")) + "\n",
    )

    assert by_path.returncode == 0 and result_of(tmp_path)["rounds_trained"] == 3
    assert inline.returncode == 0
    assert json.loads((tmp_path / "inline.json").read_text())["rounds_trained"] == 2


def test_a_warm_spare_ends_quietly_at_eof(tmp_path: Path) -> None:
    finished = run("--wait-for-spec", "--result", str(tmp_path / "result.json"), stdin="")

    assert finished.returncode == 0 and finished.stdout == ""
    assert not (tmp_path / "result.json").exists()


def test_sigterm_stops_the_job_and_logs_stream_while_it_runs(
    tmp_path: Path, regression_csv: dict[str, ChannelSpec]
) -> None:
    spec = write_spec(tmp_path, spec_document(tmp_path, regression_csv, num_round="1000000"))
    process = subprocess.Popen(
        [*WORKER, "--spec", str(spec)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    try:
        line = process.stdout.readline()
        while not ROUND.match(line.strip()):  # a round line arrives while the job still runs
            line = process.stdout.readline()
            assert line, process.stderr.read() if process.stderr else ""
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 3
    finally:
        process.kill()
        process.wait()
        process.stdout.close()
        if process.stderr:
            process.stderr.close()
    result = result_of(tmp_path)
    assert result["status"] == "Stopped" and result["secondary_status"] == "Stopped"
    assert result["failure_reason"] == "Training job stopped by request"


def test_a_spec_that_is_not_an_object_exits_2(tmp_path: Path) -> None:
    (tmp_path / "spec.json").write_text("[]")

    finished = run("--spec", str(tmp_path / "spec.json"), "--result", str(tmp_path / "result.json"))

    assert finished.returncode == 2
    assert result_of(tmp_path)["failure_reason"] == "the spec must be a JSON object"


def test_an_internal_error_exits_2_and_still_leaves_a_result(
    tmp_path: Path, regression_csv: dict[str, ChannelSpec]
) -> None:
    (tmp_path / "a-file").write_text("")
    document = spec_document(tmp_path, regression_csv, num_round="2")
    document["model_dir"] = str(tmp_path / "a-file" / "model")  # cannot be created
    spec = write_spec(tmp_path, document)

    finished = run("--spec", str(spec))

    assert finished.returncode == 2
    assert "Traceback" in finished.stderr
    result = result_of(tmp_path)
    assert result["status"] == "Failed"
    assert result["failure_reason"].startswith("internal error: NotADirectoryError: ")
