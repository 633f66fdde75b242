"""The demo's pure parts: expectations against pipeline JSON, the smoke-test table in a job
log, the story's shape, and the demo folder's refusal and reset rules."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mlci.demo.progress import Progress
from mlci.demo.repo import MARKER, DemoError, DemoRepo, example_source, prepare_folder
from mlci.demo.story import STORY, Approve, Change, Expect, Run, check_pipeline, smoke_lines


def pipeline(status: str, jobs: dict[str, str]) -> dict[str, Any]:
    workflows: dict[str, list[dict[str, Any]]] = {}
    for name, job_status in jobs.items():
        workflow, _, job = name.partition("/")
        workflows.setdefault(workflow, []).append({"name": job, "status": job_status})
    return {
        "number": 7,
        "status": status,
        "workflows": [{"name": w, "jobs": j} for w, j in workflows.items()],
    }


def test_a_pipeline_as_expected_has_no_problems() -> None:
    seen = pipeline("on_hold", {"a/a-train": "success", "a/hold": "on_hold"})
    assert check_pipeline(seen, Expect("on_hold", ran=("a/a-train",), held=("a/hold",))) == []


def test_each_difference_is_named() -> None:
    seen = pipeline("failed", {"a/a-train": "failed", "b/b-train": "success"})
    expect = Expect(
        "on_hold", ran=("a/a-train", "a/missing"), held=("a/hold",), absent=("b", "b/b-train")
    )
    assert check_pipeline(seen, expect) == [
        "pipeline 7 is failed, not on_hold",
        "a/a-train should have run; it is failed",
        "a/missing should have run; it is absent",
        "a/hold should be on hold; it is absent",
        "b should not have run, but the pipeline has it",
        "b/b-train should not have run, but the pipeline has it",
    ]


def test_smoke_lines_are_the_table_after_the_heading() -> None:
    log = "\n".join(
        [
            "endpoint x is InService",
            "smoke test of x with 2 rows of s3://b/k.csv:",
            "  prediction        label",
            "  12.5              9",
            "  7.1               6",
            "<== [3] success (exit 0, 2.21s)",
            "  not part of it",
        ]
    )
    assert smoke_lines(log) == [
        "  prediction        label",
        "  12.5              9",
        "  7.1               6",
    ]
    assert smoke_lines("no smoke test here") == []


def test_the_story_trains_on_branches_and_deploys_on_main() -> None:
    steps = [step for chapter in STORY for step in chapter.steps]
    runs = [step for step in steps if isinstance(step, Run)]
    # Every branch run holds; every main run deploys and trains nothing.
    assert [run.expect.status for run in runs] == ["on_hold", "success", "on_hold", "success"]
    for run in runs[1::2]:
        assert run.deployed
        assert any(name.endswith("-train") for name in run.expect.absent)
    assert "churn-model" in runs[0].expect.absent  # abalone's change never runs churn
    approvals = [step.approved for step in steps if isinstance(step, Approve)]
    assert approvals == [("abalone-model", 1), ("abalone-model", 2), ("churn-model", 1)]
    assert [step.folders for step in steps if isinstance(step, Change)] == [
        ("abalone_model",),
        ("common",),
    ]


def test_a_non_empty_folder_that_is_not_a_demo_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(DemoError, match="is not an earlier mlci demo"):
        prepare_folder(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    with pytest.raises(DemoError, match="is not a directory"):
        prepare_folder(tmp_path / "f")


def test_an_earlier_demo_is_reset(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    prepare_folder(folder)
    (folder / "monorepo" / "sub").mkdir(parents=True)
    (folder / "leftover.txt").write_text("old")
    prepare_folder(folder)
    assert [p.name for p in folder.iterdir()] == [MARKER]


def test_the_copy_is_a_git_repository_on_main_without_caches(tmp_path: Path) -> None:
    repo = DemoRepo.create(tmp_path / "repo", example_source())
    assert repo.git("rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert repo.git("status", "--porcelain") == ""
    assert not list((tmp_path / "repo").rglob("__pycache__"))
    commit = repo.change("feature/x", ("abalone_model",), "a change")
    changed = repo.git("diff", "--name-only", "main", commit)
    assert changed == "abalone_model/__init__.py"
    merged = repo.merge("feature/x")
    assert repo.git("rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert repo.git("rev-list", "--parents", "-n", "1", merged).split()[2] == commit


def test_a_change_to_a_missing_folder_and_a_failing_git_are_errors(tmp_path: Path) -> None:
    repo = DemoRepo.create(tmp_path / "repo", example_source())
    with pytest.raises(DemoError, match=r"no nowhere/__init__\.py"):
        repo.change("feature/y", ("nowhere",), "x")
    with pytest.raises(DemoError, match=r"git merge .* failed"):
        repo.merge("no-such-branch")
    subprocess.run(["git", "checkout", "-q", "main"], cwd=repo.root, check=True)


def test_plain_output_has_no_escape_codes() -> None:
    stream = io.StringIO()
    progress = Progress(stream)
    progress.chapter("A [chapter]")
    progress.held("fine")
    progress.broken("not fine")
    text = stream.getvalue()
    assert "\x1b[" not in text
    assert "== A [chapter]" in text and "ok fine" in text and "EXPECTATION FAILED not fine" in text
