"""Each job's Python environment: its own layer over the executor's cached base.

Real `pip install`s (of small wheels the test builds, offline):
what a job installs is visible to that job only, never to mlci's own interpreter; parallel
jobs installing different versions of one package do not see each other's; and what a
successful job installed is cached for the next pipeline.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.integration.pipeline.helpers import Project, jobs_of

PACKAGE = "mlci_layer_probe"


def build_wheel(directory: Path, version: str) -> Path:
    """A minimal pure-Python wheel (a zip with its dist-info), built without any network."""
    name = f"{PACKAGE}-{version}-py3-none-any.whl"
    info = f"{PACKAGE}-{version}.dist-info"
    files = {
        f"{PACKAGE}/__init__.py": f"VERSION = '{version}'\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {PACKAGE}\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = "".join(f"{path},,\n" for path in files) + f"{info}/RECORD,,\n"
    path = directory / name
    with zipfile.ZipFile(path, "w") as archive:
        for member, text in files.items():
            archive.writestr(member, text)
        archive.writestr(f"{info}/RECORD", record)
    return path


INSTALL = (
    'pip install --quiet --no-index --no-deps "$WHEELS/{p}-{v}-py3-none-any.whl"'
    " && python -c \"import {p}; assert {p}.VERSION == '{v}', {p}.VERSION;"
    " print('have', {p}.VERSION)\""
)

CONFIG = f"""
version: 2.1
executors:
  py:
    docker: [{{image: cimg/python:3.11}}]
jobs:
  one:
    executor: py
    steps:
      - run: {json.dumps(INSTALL.format(v="1.0", p=PACKAGE))}
      - run: sleep 1 && python -c "import {PACKAGE}; assert {PACKAGE}.VERSION == '1.0'"
  two:
    executor: py
    steps:
      - run: {json.dumps(INSTALL.format(v="2.0", p=PACKAGE))}
      - run: sleep 1 && python -c "import {PACKAGE}; assert {PACKAGE}.VERSION == '2.0'"
workflows:
  main:
    jobs: [one, two]
"""

CACHED = f"""
version: 2.1
executors:
  py:
    docker: [{{image: cimg/python:3.11}}]
jobs:
  reuse:
    executor: py
    steps:
      - run: python -c "import {PACKAGE}; print('cached', {PACKAGE}.VERSION, {PACKAGE}.__file__)"
workflows:
  main:
    jobs: [reuse]
"""


@pytest.mark.slow
def test_layers_isolate_parallel_installs_and_successes_are_cached(tmp_path: Path) -> None:
    project = Project(tmp_path / "repo", tmp_path / "home")
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    build_wheel(wheels, "1.0")
    build_wheel(wheels, "2.0")
    project.mlci("env", "set", "WHEELS", str(wheels))
    project.repo.commit({".circleci/config.yml": CONFIG}, "two versions")

    status = project.run_json("--jobs", "2")

    assert jobs_of(status) == {"main/one": "success", "main/two": "success"}
    one, two = status["workflows"][0]["jobs"]
    assert one["started_at"] < two["stopped_at"] and two["started_at"] < one["stopped_at"]
    mine = subprocess.run(
        [sys.executable, "-c", f"import {PACKAGE}"], capture_output=True, check=False
    )
    assert mine.returncode != 0  # mlci's own interpreter never got it

    project.write_config(CACHED)
    project.repo.commit({}, "reuse")
    cached = project.run_json()

    assert jobs_of(cached) == {"main/reuse": "success"}
    log = project.mlci("logs", "2", "reuse").stdout
    base = project.root / ".mlci" / "venvs"
    assert f"cached 1.0 {base}" in log or f"cached 2.0 {base}" in log
    promoted = [
        line for n in ("one", "two") for line in project.mlci("logs", "1", n).stdout.splitlines()
    ]
    assert sum("Cached in the executor's environment: mlci-layer-probe" in p for p in promoted) == 1
