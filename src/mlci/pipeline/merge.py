"""Merging several config files into one, as path-filtering's generate-config does.

The orb deep-merges the listed files in order (yq's `*`): mappings merge key by key, and any
other value, lists included, is replaced by the later file's. Every merged value keeps the
location it was read from, so a problem is reported in the file that caused it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mlci.pipeline.config import Config, config_from_yaml
from mlci.pipeline.errors import ConfigError
from mlci.pipeline.yaml_loader import YamlMap, load_yaml_file


def merge_yaml(base: YamlMap, overlay: YamlMap) -> YamlMap:
    merged = YamlMap(base.location)
    for key, value in base.items():
        merged.put(key, value, base.key_location(key), base.value_location(key))
    for key, value in overlay.items():
        current = merged.get(key)
        if isinstance(current, YamlMap) and isinstance(value, YamlMap):
            value = merge_yaml(current, value)
        merged.put(key, value, overlay.key_location(key), overlay.value_location(key))
    return merged


def load_merged_config(files: Sequence[tuple[Path, str]]) -> Config:
    """One Config from several files ((path, name in messages) pairs), later ones winning."""
    if not files:
        raise ConfigError.single("no config files to merge")
    documents: list[Any] = [load_yaml_file(path, name) for path, name in files]
    merged = documents[0]
    for document in documents[1:]:
        if not isinstance(merged, YamlMap) or not isinstance(document, YamlMap):
            break  # config_from_yaml reports the one that is not a mapping
        merged = merge_yaml(merged, document)
    label = " + ".join(name for _, name in files)
    return config_from_yaml(merged, label)
