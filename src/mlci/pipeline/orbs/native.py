"""Steps that only natively implemented orbs may use; the runner executes them itself.

In the orb definitions (path_filtering.py, continuation.py) they appear as `native/…`
steps whose arguments are the orb's parameters, already substituted.
"""

from __future__ import annotations

from collections.abc import Callable

from mlci.pipeline import model
from mlci.pipeline.errors import Location
from mlci.pipeline.schema import scalar_text
from mlci.pipeline.yaml_loader import YamlMap

CONFIG_LIST_PATH = "/tmp/filtered-config-list"  # the orb's fixed path, as on CircleCI


def _text(args: YamlMap, key: str) -> str:
    return scalar_text(args.get(key))


def set_parameters(args: YamlMap, at: Location) -> model.Step:
    return model.SetParameters(
        base_revision=_text(args, "base-revision"),
        mapping=_text(args, "mapping"),
        exclude=_text(args, "exclude"),
        output_path=_text(args, "output-path"),
        config_path=_text(args, "config-path"),
        config_list_path=CONFIG_LIST_PATH,
        location=at,
    )


def generate_config(args: YamlMap, at: Location) -> model.Step:
    return model.GenerateConfig(
        config_list_path=_text(args, "config-list-path"),
        generated_config_path=_text(args, "generated-config-path"),
        location=at,
    )


def continue_pipeline(args: YamlMap, at: Location) -> model.Step:
    return model.ContinuePipeline(
        configuration_path=_text(args, "configuration_path"),
        parameters=_text(args, "parameters"),
        location=at,
        when=_text(args, "when") or "on_success",
    )


def finish_pipeline(args: YamlMap, at: Location) -> model.Step:
    return model.FinishPipeline(at)


NATIVE_STEPS: dict[str, Callable[[YamlMap, Location], model.Step]] = {
    "native/set-parameters": set_parameters,
    "native/generate-config": generate_config,
    "native/continue": continue_pipeline,
    "native/finish": finish_pipeline,
}
