"""The AWS environment jobs get: `mlci cloud`'s, or your own (`--aws real`).

The runner never imports the cloud half; it asks the `mlci cloud` command, as any client
would: `mlci cloud env` prints the four exports, and when the cloud is configured (its state
directory holds credentials) but not running, `mlci cloud start` starts it in the
background first. `--aws auto` (the default) uses the cloud if it is configured and your
own AWS environment otherwise; `--aws cloud` starts it even if it never ran here.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from mlci.pipeline.errors import PipelineError

AWS_MODES = ("auto", "cloud", "real")
CLOUD_VARIABLES = (
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_DEFAULT_REGION",
)
SECRET_VARIABLES = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")
_TIMEOUT = 120


def cloud_home(environ: Mapping[str, str]) -> Path:
    """The cloud's state directory, as `mlci cloud` documents it: MLCI_HOME, else the
    per-user data directory."""
    if home := environ.get("MLCI_HOME"):
        return Path(home).expanduser()
    data = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "mlci"


def is_configured(environ: Mapping[str, str]) -> bool:
    return (cloud_home(environ) / "credentials.json").is_file()


class AwsEnvironment(NamedTuple):
    variables: dict[str, str]  # what jobs get on top of their environment
    secrets: tuple[str, ...]  # values to mask
    source: str  # one line for the log: where the AWS settings come from
    real: bool  # True: pass the user's AWS_* through


def _mlci(*args: str, environ: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlci", "cloud", *args],
        capture_output=True,
        text=True,
        env=dict(environ),
        timeout=_TIMEOUT,
        check=False,
    )


def parse_exports(text: str) -> dict[str, str]:
    """`export NAME=value` lines (shell-quoted values) as a dict."""
    variables = {}
    for line in text.splitlines():
        words = shlex.split(line)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            name, _, value = words[1].partition("=")
            variables[name] = value
    return variables


def cloud_environment(environ: Mapping[str, str]) -> AwsEnvironment:
    """The running cloud's exports; start it first if it is not running."""
    answer = _mlci("env", environ=environ)
    if answer.returncode != 0:
        started = _mlci("start", environ=environ)
        if started.returncode != 0:
            reason = (started.stderr or started.stdout).strip().splitlines()
            raise PipelineError(
                f"cannot start mlci cloud: {reason[-1] if reason else started.returncode}"
                " (or run with --aws real)"
            )
        answer = _mlci("env", environ=environ)
        if answer.returncode != 0:
            raise PipelineError(f"mlci cloud env failed: {answer.stderr.strip()}")
    variables = parse_exports(answer.stdout)
    missing = [name for name in CLOUD_VARIABLES if name not in variables]
    if missing:
        raise PipelineError(f"mlci cloud env did not print {', '.join(missing)}")
    secrets = tuple(variables[name] for name in SECRET_VARIABLES if name in variables)
    return AwsEnvironment(
        variables, secrets, f"AWS: mlci cloud at {variables['AWS_ENDPOINT_URL']}", False
    )


def real_environment(environ: Mapping[str, str], source: str) -> AwsEnvironment:
    """Your own AWS_* go through unchanged (the job environment keeps them); your secret
    key and session token are masked like any other secret."""
    secrets = tuple(environ[name] for name in SECRET_VARIABLES if environ.get(name))
    return AwsEnvironment({}, secrets, source, True)


class AwsProvider:
    """Works out the AWS environment once, the first time a job needs it (a pipeline that
    runs no command never starts the cloud)."""

    def __init__(self, mode: str, environ: Mapping[str, str] | None = None) -> None:
        if mode not in AWS_MODES:
            raise PipelineError(f"--aws is one of {', '.join(AWS_MODES)}, not {mode!r}")
        self.mode = mode
        self._environ = dict(os.environ if environ is None else environ)
        self._lock = threading.Lock()
        self._result: AwsEnvironment | None = None

    def get(self) -> AwsEnvironment:
        with self._lock:
            if self._result is None:
                self._result = self._decide()
            return self._result

    def _decide(self) -> AwsEnvironment:
        if self.mode == "real":
            return real_environment(self._environ, "AWS: your own environment (--aws real)")
        if self.mode == "auto" and not is_configured(self._environ):
            note = "AWS: your own environment (mlci cloud is not configured here)"
            return real_environment(self._environ, note)
        return cloud_environment(self._environ)
