"""The native steps of the path-filtering and continuation orbs, run inside the setup job.

They do what the orbs' scripts do, reading and writing the same files (mapped into the
job's sandbox): `set-parameters` diffs the revision against the base and writes the
parameters JSON and the list of config files; `generate-config` merges the listed files
from the job's checkout; `continue` compiles the continuation with the parameters, exactly
as CircleCI's continuation API would accept or refuse it, and records it so the runner
starts its workflows once the setup workflow is done; `finish` ends the pipeline there.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mlci.files import write_atomically
from mlci.pipeline import model, run_history
from mlci.pipeline.changes import DEFAULT_CONFIG_PATH, compute_changes
from mlci.pipeline.changes_report import summary_lines
from mlci.pipeline.checkout import read_file_at
from mlci.pipeline.config import Config
from mlci.pipeline.config_sources import (
    CONTINUATION_DIR,
    config_from_texts,
    preflight,
    store_files,
)
from mlci.pipeline.errors import ConfigError, PipelineError
from mlci.pipeline.joblog import JobLog
from mlci.pipeline.mapping import parse_excludes, parse_mapping
from mlci.pipeline.run_context import RunContext
from mlci.pipeline.sandbox import Sandbox
from mlci.pipeline.steps_exec import FAILED, SUCCESS, StepOutcome
from mlci.pipeline.yaml_loader import YamlList, YamlMap

_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


def expand_variables(text: str, environment: Mapping[str, str]) -> str:
    """`$NAME` and `${NAME}` replaced as `circleci env subst` does (unset: empty)."""
    return _VARIABLE.sub(lambda m: environment.get(m.group(1) or m.group(2), ""), text)


def _plain(value: Any) -> Any:
    """Located YAML values as plain dicts and lists, for writing the generated config."""
    if isinstance(value, YamlMap):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, YamlList):
        return [_plain(item) for item in value]
    return value


def _failed(message: str) -> StepOutcome:
    return StepOutcome(FAILED, 1, message)


@dataclass
class NativeSteps:
    ctx: RunContext
    sandbox: Sandbox
    log: JobLog
    environment: dict[str, str]
    checkout_deferred: bool = False  # the job's checkout reads the commit, not a work tree
    # generated config path -> the (text, name) files merged into it, and their Config
    generated: dict[Path, tuple[list[tuple[str, str]], Config]] = field(default_factory=dict)

    def run(self, step: model.Step) -> StepOutcome:
        try:
            if isinstance(step, model.SetParameters):
                return self.set_parameters(step)
            if isinstance(step, model.GenerateConfig):
                return self.generate_config(step)
            if isinstance(step, model.ContinuePipeline):
                return self.continue_pipeline(step)
            return self.finish()
        except ConfigError as exc:
            for problem in exc.problems:
                self.log.line(str(problem))
            return _failed(f"{len(exc.problems)} problem(s) in the config; see the log")
        except PipelineError as exc:
            self.log.line(str(exc))
            return _failed(str(exc))

    def set_parameters(self, step: model.SetParameters) -> StepOutcome:
        base = expand_variables(step.base_revision, self.environment) or "main"
        rules = parse_mapping(step.mapping, "mapping")
        excludes = parse_excludes(step.exclude, "exclude") if step.exclude else ()
        last_run = (
            run_history.last_successful_revision(self.ctx.root, base)
            if self.ctx.since_last_run
            else None
        )
        result = compute_changes(
            self.ctx.root,
            base,
            rules,
            excludes,
            head=self.ctx.pipeline.revision,
            config_path=step.config_path or DEFAULT_CONFIG_PATH,
            last_run_revision=last_run,
        )
        for line in summary_lines(result):
            self.log.line(line)
        for path in result.considered[:50]:
            self.log.line(f"  changed: {path}")
        write_atomically(self.sandbox.map(step.output_path), result.parameters_json())
        config_list = "".join(f"{name}\n" for name in result.config_files)
        write_atomically(self.sandbox.map(step.config_list_path), config_list)
        return StepOutcome(SUCCESS, 0)

    def generate_config(self, step: model.GenerateConfig) -> StepOutcome:
        listing = self.sandbox.existing(step.config_list_path)
        try:
            names = [n.strip() for n in listing.read_text(encoding="utf-8").splitlines()]
        except OSError as exc:
            return _failed(f"cannot read the config list {step.config_list_path}: {exc.strerror}")
        texts = []
        for name in filter(None, names):
            text = self._checked_out(name)
            if text is None:
                return _failed(f"config file {name} (from the mapping) is not in the checkout")
            texts.append((text, name))
        config = config_from_texts(texts)
        target = self.sandbox.map(step.generated_config_path)
        dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # the C one: 10x faster
        write_atomically(target, yaml.dump(_plain(config.raw), Dumper=dumper, sort_keys=False))
        self.generated[target] = (texts, config)
        self.log.line(f"Merged {', '.join(name for _, name in texts)} into {target.name}")
        return StepOutcome(SUCCESS, 0)

    def continue_pipeline(self, step: model.ContinuePipeline) -> StepOutcome:
        path = self.sandbox.map(step.configuration_path)
        if path not in self.generated:
            path = self.sandbox.existing(step.configuration_path)
        if path in self.generated:
            texts, config = self.generated[path]
        elif path.is_file():
            texts = [(path.read_text(encoding="utf-8"), self._display_name(path))]
            config = config_from_texts(texts)
        else:
            return _failed(f"no continuation config at {step.configuration_path}")
        parameters = self._parameters(step.parameters)
        pipeline = config.compile(self.ctx.values, parameters)
        preflight(pipeline)
        stored = store_files(self.ctx.pipeline_dir, CONTINUATION_DIR, texts)
        self.ctx.store.set_continuation(
            self.ctx.number, {"files": stored, "parameters": parameters}
        )
        self.ctx.compiled["main"] = pipeline
        running = [w.name for w in pipeline.running_workflows if w.selected_jobs]
        self.log.line(f"Continuing with {config.file}, parameters {json.dumps(parameters)}")
        self.log.line(f"Workflows to run: {', '.join(running) if running else 'none'}")
        return StepOutcome(SUCCESS, 0)

    def _checked_out(self, name: str) -> str | None:
        """A file of the job's checkout: from the work tree if the job has one, else (the
        job runs only native steps, so its checkout is not materialised) from the commit."""
        path = self.sandbox.existing(name)
        if path.is_file():
            return path.read_text(encoding="utf-8")
        if self.checkout_deferred and not name.startswith(("/", "~")):
            return read_file_at(self.ctx.root, self.ctx.pipeline.revision, name)
        return None

    def finish(self) -> StepOutcome:
        self.ctx.store.set_continuation(self.ctx.number, {"finished": True})
        self.log.line("Setup finished without continuing: no more workflows in this pipeline")
        return StepOutcome(SUCCESS, 0)

    def _parameters(self, text: str) -> dict[str, Any]:
        raw = text.strip() or "{}"
        if not raw.startswith("{"):
            source = self.sandbox.existing(raw)
            try:
                raw = source.read_text(encoding="utf-8")
            except OSError as exc:
                raise PipelineError(f"cannot read parameters file {text}: {exc.strerror}") from None
        try:
            parameters = json.loads(raw)
        except ValueError as exc:
            raise PipelineError(f"continuation parameters are not JSON: {exc}") from None
        if not isinstance(parameters, dict):
            raise PipelineError("continuation parameters must be a JSON object")
        return parameters

    def _display_name(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.sandbox.working_directory))
        except ValueError:
            return os.path.relpath(path, self.sandbox.root)
