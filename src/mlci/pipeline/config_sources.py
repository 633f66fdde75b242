"""Configs as a pipeline keeps them: read at its revision, copied into its directory, and
compiled again from those copies whenever the pipeline is resumed (approve, rerun).

A pipeline is compiled from the config as it was when the pipeline was created, never from
today's files, so approving pipeline 7 next week runs what pipeline 7 was. Before a
pipeline (or a continuation) is accepted, `preflight` also checks what the config model
leaves to the runner — durations and shells — so such mistakes surface with their file and
line before anything runs.
"""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mlci.files import write_atomically
from mlci.pipeline import model
from mlci.pipeline.config import Config, config_from_yaml
from mlci.pipeline.durations import DurationError, parse_duration
from mlci.pipeline.errors import ConfigError, Problems
from mlci.pipeline.merge import load_merged_config, merge_yaml
from mlci.pipeline.values import PipelineValues
from mlci.pipeline.yaml_loader import YamlMap, load_yaml_text

SETUP_DIR = "config/setup"
CONTINUATION_DIR = "config/continuation"


def config_from_texts(texts: Sequence[tuple[str, str]]) -> Config:
    """One Config from (text, name) pairs, merged in order as generate-config does."""
    if not texts:
        raise ConfigError.single("no config files to merge")
    documents = [load_yaml_text(text, name) for text, name in texts]
    merged = documents[0]
    for document in documents[1:]:
        if not isinstance(merged, YamlMap) or not isinstance(document, YamlMap):
            break
        merged = merge_yaml(merged, document)
    return config_from_yaml(merged, " + ".join(name for _, name in texts))


def store_files(pipeline_dir: Path, kind: str, files: Sequence[tuple[str, str]]) -> list[list[str]]:
    """Copy (text, name) configs under the pipeline; [[stored path, name], …] to record."""
    stored = []
    for index, (text, name) in enumerate(files):
        relative = f"{kind}/{index}/{Path(name).name or 'config.yml'}"
        write_atomically(pipeline_dir / relative, text)
        stored.append([relative, name])
    return stored


def load_stored(pipeline_dir: Path, files: Sequence[Sequence[str]]) -> Config:
    return load_merged_config([(pipeline_dir / stored, name) for stored, name in files])


def values_from_record(record: dict[str, Any]) -> PipelineValues:
    return PipelineValues(**record)


def values_record(values: PipelineValues) -> dict[str, Any]:
    return dataclasses.asdict(values)


def preflight(pipeline: model.Pipeline) -> None:
    """ConfigError for what would fail only once a job runs: bad durations and shells."""
    problems = Problems()
    for workflow in pipeline.running_workflows:
        for workflow_job in workflow.selected_jobs:
            job = workflow_job.job
            if job is None:
                continue
            path = ("workflows", workflow.name, "jobs", workflow_job.name)
            _check_shell(job.shell, (*path, "shell"), job.location, problems)
            for step in job.steps:
                if isinstance(step, model.Run):
                    _check_run(step, path, problems)
    problems.raise_if_any()


def _check_run(step: model.Run, path: tuple[str, ...], problems: Problems) -> None:
    here = (*path, "steps", step.name)
    if step.no_output_timeout is not None:
        try:
            parse_duration(step.no_output_timeout)
        except DurationError as exc:
            problems.add((*here, "no_output_timeout"), str(exc), step.location)
    _check_shell(step.shell, (*here, "shell"), step.location, problems)


def _check_shell(shell: str | None, path: tuple[str, ...], at: Any, problems: Problems) -> None:
    if shell is None:
        return
    try:
        words = shlex.split(shell)
    except ValueError as exc:
        problems.add(path, f"cannot split shell {shell!r}: {exc}", at)
        return
    if not words:
        problems.add(path, "shell is empty", at)
