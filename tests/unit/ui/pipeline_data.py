"""Pipeline state written through the runner's own Store, as `mlci run` would leave it."""

from __future__ import annotations

import uuid
from pathlib import Path

from mlci.pipeline.state import FAILED, SUCCESS, NewPipeline, Store


def held_pipeline(repo: Path, branch: str, log_lines: list[str]) -> tuple[int, int, int]:
    """A pipeline whose workflow trained (with `log_lines` in its log) and holds for
    approval; (pipeline number, train build, approval build)."""
    store = Store(repo)
    try:
        row = store.create_pipeline(
            NewPipeline(
                str(uuid.uuid4()), branch, None, "a" * 40, False, ".circleci/config.yml", {}
            ),
            lambda number: {"pipeline.number": number},
        )
        store.mark_main_created(row.number)
        workflow = store.create_workflow(
            row.number,
            "model",
            "main",
            [("train", "build"), ("hold", "approval"), ("deploy", "build")],
        )
        train, hold, _ = store.jobs(workflow.id)
        store.start_job(train.build_num)
        log = store.pipeline_dir(row.number) / "logs" / f"{train.build_num}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("".join(line + "\n" for line in log_lines), encoding="utf-8")
        store.finish_job(train.build_num, SUCCESS)
        store.hold_job(hold.build_num)
        return row.number, train.build_num, hold.build_num
    finally:
        store.close()


def many_pipelines(repo: Path, count: int) -> None:
    """`count` finished pipelines (benchmarks): one workflow of two jobs each."""
    store = Store(repo)
    try:
        for index in range(count):
            row = store.create_pipeline(
                NewPipeline(str(uuid.uuid4()), f"branch-{index}", None, f"{index:040x}", False,
                            ".circleci/config.yml", {}),
                lambda number: {"pipeline.number": number},
            )  # fmt: skip
            store.mark_main_created(row.number)
            workflow = store.create_workflow(
                row.number, "model", "main", [("train", "build"), ("deploy", "build")]
            )
            for job in store.jobs(workflow.id):
                store.start_job(job.build_num)
                store.finish_job(job.build_num, FAILED if index % 7 == 0 else SUCCESS)
            store.set_workflow_status(workflow.id, FAILED if index % 7 == 0 else SUCCESS)
    finally:
        store.close()
