"""Executor base environments, job layers and promotion, with real interpreters."""

from __future__ import annotations

import subprocess
from pathlib import Path

from mlci.pipeline.venv_promotion import promote_distributions
from mlci.pipeline.venvs import VenvCache, executor_key, site_packages


def python(venv: Path, code: str) -> str:
    result = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_a_layer_sees_itself_then_the_base_then_the_interpreter(tmp_path: Path) -> None:
    cache = VenvCache(tmp_path)
    key = executor_key("cimg/python:3.11", "docker")
    layer = cache.layer(key, tmp_path / "job" / "venv")
    (site_packages(layer.base) / "from_base.py").write_text("WHERE = 'base'\n")
    (site_packages(layer.prefix) / "from_layer.py").write_text("WHERE = 'layer'\n")

    out = python(layer.prefix, "import sys, from_base, from_layer, json; print(sys.prefix)")

    assert out == str(layer.prefix)
    order = python(layer.prefix, "import sys; print('\\n'.join(sys.path))").splitlines()
    assert order.index(str(site_packages(layer.prefix))) < order.index(
        str(site_packages(layer.base))
    )
    assert key.startswith("cimg-python-3.11-py3.")
    env = layer.environment("/usr/bin")
    assert env["PATH"].split(":")[0] == str(layer.bin)
    assert (layer.base / "layer-pip" / "pip").read_text().startswith("#!/bin/sh\n")


def make_distribution(site: Path, bin_dir: Path, name: str, version: str) -> None:
    info = site / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (site / name).mkdir()
    (site / name / "__init__.py").write_text(f"VERSION = '{version}'\n")
    bin_dir.mkdir(parents=True, exist_ok=True)
    (bin_dir / f"{name}-cli").write_text(f"#!{bin_dir}/python\nprint('hi')\n")
    (info / "RECORD").write_text(
        f"{name}/__init__.py,,\n{name}/__pycache__/x.pyc,,\n{info.name}/RECORD,,\n"
        f"../../../bin/{name}-cli,,\n"
    )


def test_promotion_adds_what_the_base_lacks_and_nothing_else(tmp_path: Path) -> None:
    site, bin_dir = tmp_path / "layer/site", tmp_path / "layer/bin"
    base_site, base_bin = tmp_path / "base/site", tmp_path / "base/bin"
    base_site.mkdir(parents=True)
    make_distribution(site, bin_dir, "fresh", "1.0")
    make_distribution(site, bin_dir, "clash", "2.0")
    make_distribution(base_site, base_bin, "clash", "1.0")
    (site / "odd-0.1.dist-info").mkdir()  # no RECORD: left alone

    moved = promote_distributions(site, bin_dir, base_site, base_bin)

    assert moved == ["fresh"]
    assert (base_site / "fresh" / "__init__.py").exists()
    assert (base_site / "fresh-1.0.dist-info" / "RECORD").exists()
    assert not (site / "fresh").exists()
    assert (base_bin / "fresh-cli").read_text().startswith(f"#!{base_bin}/python\n")
    assert (base_site / "clash" / "__init__.py").read_text() == "VERSION = '1.0'\n"
    assert (site / "clash").exists() and (site / "odd-0.1.dist-info").exists()
