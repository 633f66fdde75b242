"""A job's environment, level by level, and masking of the secret values in it.

Levels, lowest first (a later level wins, as CircleCI orders them): a few variables of your
own session (PATH, HOME, locale, proxies, pip settings), project variables, contexts in the
order the workflow lists them, the cloud's AWS_* (so jobs reach `mlci cloud` even when a
project variable holds real keys), CircleCI's built-in variables, the executor's and its
primary image's `environment`, the job's `environment`, then each run step's. Values are
literal: like CircleCI, `environment: {A: $B}` sets A to the text `$B`.

Every value of a project variable, of a context and of a cloud secret is masked in logs.
CircleCI leaves values shorter than 4 characters alone (masking `1` would mangle every line);
so do we.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import NamedTuple

MASK = "********"
MIN_MASKED_LENGTH = 4

_PASS_THROUGH = frozenset(
    {
        "PATH",
        "HOME",
        "USER",
        "LOGNAME",
        "SHELL",
        "LANG",
        "LANGUAGE",
        "TERM",
        "TZ",
        "SSH_AUTH_SOCK",
        "MLCI_HOME",
        "XDG_CACHE_HOME",
        "XDG_CONFIG_HOME",
        "XDG_DATA_HOME",
        "PYENV_ROOT",
        "PYENV_VERSION",
        "http_proxy",
        "https_proxy",
        "no_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
        "SSL_CERT_FILE",
        "REQUESTS_CA_BUNDLE",
    }
)
_PASS_THROUGH_PREFIXES = ("LC_", "PIP_")


def session_environment(environ: Mapping[str, str], *, real_aws: bool) -> dict[str, str]:
    """The part of your own environment a job sees: enough to find programs and speak your
    language, not the rest (a CI job starts clean). `real_aws` also passes every AWS_*."""
    kept = {
        name: value
        for name, value in environ.items()
        if name in _PASS_THROUGH or name.startswith(_PASS_THROUGH_PREFIXES)
    }
    if real_aws:
        kept.update({k: v for k, v in environ.items() if k.startswith("AWS_")})
    return kept


class JobIdentity(NamedTuple):
    """What CircleCI's built-in variables describe."""

    branch: str | None
    tag: str | None
    revision: str
    build_num: int
    job_name: str
    workflow_id: str
    workflow_job_id: str
    pipeline_number: int
    repository_url: str
    project_name: str
    username: str
    working_directory: str
    parallelism: int = 1


def builtin_variables(identity: JobIdentity) -> dict[str, str]:
    variables = {
        "CI": "true",
        "CIRCLECI": "true",
        "CIRCLE_SHA1": identity.revision,
        "CIRCLE_BUILD_NUM": str(identity.build_num),
        "CIRCLE_JOB": identity.job_name,
        "CIRCLE_WORKFLOW_ID": identity.workflow_id,
        "CIRCLE_WORKFLOW_JOB_ID": identity.workflow_job_id,
        "CIRCLE_WORKFLOW_WORKSPACE_ID": identity.workflow_id,
        "CIRCLE_PIPELINE_NUM": str(identity.pipeline_number),
        "CIRCLE_NODE_INDEX": "0",
        "CIRCLE_NODE_TOTAL": "1",
        "CIRCLE_PROJECT_REPONAME": identity.project_name,
        "CIRCLE_PROJECT_USERNAME": identity.username,
        "CIRCLE_USERNAME": identity.username,
        "CIRCLE_REPOSITORY_URL": identity.repository_url,
        "CIRCLE_WORKING_DIRECTORY": identity.working_directory,
        "CIRCLE_BUILD_URL": "",
    }
    if identity.branch is not None:
        variables["CIRCLE_BRANCH"] = identity.branch
    if identity.tag is not None:
        variables["CIRCLE_TAG"] = identity.tag
    return variables


def layered(*levels: Mapping[str, str]) -> dict[str, str]:
    """The levels merged, later ones winning."""
    merged: dict[str, str] = {}
    for level in levels:
        merged.update(level)
    return merged


class Masker:
    """Replaces every secret value in a text with ********."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = frozenset(value for value in secrets if len(value) >= MIN_MASKED_LENGTH)
        # Longest first, so a secret containing another is masked whole.
        ordered = sorted(self.secrets, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def __bool__(self) -> bool:
        return self._pattern is not None

    def mask(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(MASK, text)

    def with_secrets(self, secrets: Iterable[str]) -> Masker:
        return Masker([*self.secrets, *secrets])
