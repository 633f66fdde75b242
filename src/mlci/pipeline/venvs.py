"""A Python environment per executor, cached under `.mlci/venvs/`, and one layer per job.

CircleCI gives each job a fresh container of its executor's image; here, each executor
(keyed by its image and this machine's Python) gets a *base* virtual environment that lives
across pipelines, and each job a thin *layer* venv on top of it:

    job layer (its own site-packages: what the job's `pip install` adds)
      → executor base (packages promoted from successful jobs: the cache)
        → the interpreter's own site-packages (what the machine already has)

Layering rather than sharing: parallel jobs of one executor never write the same directory,
so one job's `pip install` cannot break another's imports mid-run, and nothing a job does
touches mlci's own environment (pip installs into the layer, and declines to uninstall
what lives below it). A layer costs a directory, a config file and a few links (about a
millisecond; `python -m venv` takes ~15 ms in-process, ~0.5 s as a command). After a job
succeeds, distributions it installed that the base lacks are moved into the base (renames
under a lock, add-only, so a job reading the base meanwhile sees a package appear, never
change), and the next job finds them already installed.
"""

from __future__ import annotations

import fcntl
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

VENV_DIR = Path(".mlci") / "venvs"
_BASE_LINK = "_mlci_executor_base.pth"
_LAYER_PIP = "layer-pip"  # in the base: `pip` wrappers every job layer shares
_PYTHON_NAMES = ("python", "python3", f"python{sys.version_info[0]}.{sys.version_info[1]}")
_PIP_NAMES = ("pip", "pip3", f"pip{sys.version_info[0]}.{sys.version_info[1]}")


def base_interpreter() -> Path:
    """The real interpreter under whatever venv mlci itself runs in."""
    return Path(getattr(sys, "_base_executable", None) or sys.executable)


def site_packages(prefix: Path) -> Path:
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    return prefix / "lib" / version / "site-packages"


def executor_key(image: str | None, kind: str) -> str:
    """A directory name for an executor: its image (or kind) and this machine's Python."""
    label = re.sub(r"[^A-Za-z0-9._-]+", "-", image or kind).strip("-") or kind
    python = "py{}.{}.{}".format(*sys.version_info[:3])
    return f"{label}-{python}"


class JobVenv(NamedTuple):
    prefix: Path
    base: Path

    @property
    def bin(self) -> Path:
        return self.prefix / "bin"

    def environment(self, path: str) -> dict[str, str]:
        """VIRTUAL_ENV and PATH as `activate` would set them (plus the shared `pip`
        wrappers, which run the python of $VIRTUAL_ENV), for the job's steps."""
        wrappers = self.base / _LAYER_PIP
        return {
            "VIRTUAL_ENV": str(self.prefix),
            "PATH": os.pathsep.join([str(self.bin), str(wrappers), path]),
        }


def _write_layout(prefix: Path, interpreter: Path, *, pip: bool) -> None:
    """The files that make `prefix` a virtual environment (PEP 405), without `venv`'s extras
    (activate scripts): a config file, links to the interpreter, site-packages."""
    bin_dir = prefix / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    site_packages(prefix).mkdir(parents=True, exist_ok=True)
    version = "{}.{}.{}".format(*sys.version_info[:3])
    (prefix / "pyvenv.cfg").write_text(
        f"home = {interpreter.parent}\ninclude-system-site-packages = true\nversion = {version}\n",
        encoding="utf-8",
    )
    for name in _PYTHON_NAMES:
        link = bin_dir / name
        if not link.is_symlink():
            link.symlink_to(interpreter)
    if pip:
        _write_pip_wrappers(bin_dir, f'"{bin_dir / "python"}"')


def _write_pip_wrappers(directory: Path, python: str) -> None:
    # `pip` must install into the job's environment, not wherever PATH finds another pip.
    directory.mkdir(parents=True, exist_ok=True)
    wrapper = f'#!/bin/sh\nexec {python} -m pip "$@"\n'
    for name in _PIP_NAMES:
        script = directory / name
        script.write_text(wrapper, encoding="utf-8")
        script.chmod(0o755)


class VenvCache:
    def __init__(self, repo_root: Path, interpreter: Path | None = None) -> None:
        self.root = repo_root / VENV_DIR
        self.interpreter = interpreter or base_interpreter()

    @contextmanager
    def _locked(self, key: str) -> Iterator[Path]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / f"{key}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield self.root / key

    def base(self, key: str) -> Path:
        """The executor's base environment, created the first time it is needed."""
        prefix = self.root / key
        if (prefix / "pyvenv.cfg").exists():
            return prefix
        with self._locked(key) as prefix:
            if not (prefix / "pyvenv.cfg").exists():
                _write_pip_wrappers(prefix / _LAYER_PIP, '"${VIRTUAL_ENV:?}/bin/python"')
                _write_layout(prefix, self.interpreter, pip=True)
        return prefix

    def layer(self, key: str, prefix: Path) -> JobVenv:
        """A job's own environment at `prefix`, on top of the executor's base."""
        base = self.base(key)
        _write_layout(prefix, self.interpreter, pip=False)
        # An `import` line (not a bare path) so the base's own .pth files are honoured too.
        (site_packages(prefix) / _BASE_LINK).write_text(
            f"import site; site.addsitedir({str(site_packages(base))!r})\n", encoding="utf-8"
        )
        return JobVenv(prefix, base)

    def promote(self, venv: JobVenv, key: str) -> list[str]:
        """Move distributions the job installed, and the base lacks, into the base."""
        from mlci.pipeline.venv_promotion import promote_distributions

        with self._locked(key):
            return promote_distributions(
                site_packages(venv.prefix), venv.bin, site_packages(venv.base), venv.base / "bin"
            )
