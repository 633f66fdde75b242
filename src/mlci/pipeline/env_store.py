"""Project environment variables and contexts, kept in local files readable only by you.

CircleCI keeps them in project settings and organisation contexts; mlci keeps them under
`.mlci/env/` (git-ignored): `project.json` and `contexts/<name>.json`, each a JSON object of
name → value, written atomically with mode 0600 in a 0700 directory. Every value stored here
is a secret: masked in logs, never printed by `mlci env list`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path

from mlci.pipeline.errors import PipelineError

ENV_DIR = Path(".mlci") / "env"
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
CONTEXT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def env_dir(repo_root: Path) -> Path:
    return repo_root / ENV_DIR


def _file(repo_root: Path, context: str | None) -> Path:
    if context is None:
        return env_dir(repo_root) / "project.json"
    check_context_name(context)
    return env_dir(repo_root) / "contexts" / f"{context}.json"


def check_name(name: str) -> None:
    if not NAME.fullmatch(name):
        raise PipelineError(
            f"{name!r} is not a valid environment variable name"
            " (letters, digits and _, not starting with a digit)"
        )


def check_context_name(name: str) -> None:
    if not CONTEXT_NAME.fullmatch(name):
        raise PipelineError(
            f"{name!r} is not a valid context name (letters, digits, '.', '-' and '_')"
        )


def _read(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise PipelineError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise PipelineError(f"{path} must hold a JSON object of names to string values")
    return data


def _write(repo_root: Path, path: Path, values: Mapping[str, str]) -> None:
    for directory in (env_dir(repo_root), path.parent):
        directory.mkdir(parents=True, exist_ok=True)
        os.chmod(directory, 0o700)
    temporary = path.parent / f".{path.name}.{os.getpid()}.tmp"
    # Created 0600 from the start: the value is never readable by others, not even briefly.
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(dict(sorted(values.items())), stream, indent=2)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def set_variable(repo_root: Path, name: str, value: str, context: str | None = None) -> None:
    check_name(name)
    path = _file(repo_root, context)
    values = _read(path)
    values[name] = value
    _write(repo_root, path, values)


def unset_variable(repo_root: Path, name: str, context: str | None = None) -> bool:
    path = _file(repo_root, context)
    values = _read(path)
    if name not in values:
        return False
    del values[name]
    _write(repo_root, path, values)
    return True


def project_variables(repo_root: Path) -> dict[str, str]:
    return _read(_file(repo_root, None))


def context_variables(repo_root: Path, context: str) -> dict[str, str] | None:
    """The context's variables, or None if there is no such context."""
    path = _file(repo_root, context)
    if not path.exists():
        return None
    return _read(path)


def contexts(repo_root: Path) -> list[str]:
    directory = env_dir(repo_root) / "contexts"
    if not directory.is_dir():
        return []
    return sorted(path.stem for path in directory.glob("*.json"))
