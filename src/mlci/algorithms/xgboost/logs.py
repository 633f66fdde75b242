"""Training log lines in the SageMaker XGBoost container's format, as CloudWatch stores them.

The container prints per-round evaluations as XGBoost does, tab-separated:
`[0]<TAB>train-rmse:3.91400<TAB>validation-rmse:3.95712`. SageMaker's log agent escapes control
characters the syslog way (`#` and three octal digits) before the line reaches CloudWatch Logs,
so what `GetLogEvents` returns — and what the algorithm's metric regexes
(`.*\\[[0-9]+\\].*#011validation-rmse:(\\S+)`) match — is `[0]#011train-rmse:3.91400#011...`.

Every line handed to a training `log` callback here is in that CloudWatch form: it can be put
into a log stream as it is. Messages from the container's own Python logging carry its prefix,
`[2024-05-01:12:00:00:INFO] ...` (UTC).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def cloudwatch(line: str) -> str:
    """Escape control characters as SageMaker's log agent does: TAB -> #011."""
    return _CONTROL.sub(lambda m: f"#{ord(m.group()):03o}", line)


def container(message: str, level: str = "INFO", now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%d:%H:%M:%S")
    return cloudwatch(f"[{stamp}:{level}] {message}")


def evaluation(iteration: int, scores: Iterable[tuple[str, str, float]]) -> str:
    """One round: `(data name, metric name, value)` triples, formatted like XGBoost's monitor."""
    fields = "".join(f"\t{data}-{metric}:{value:.5f}" for data, metric, value in scores)
    return cloudwatch(f"[{iteration}]{fields}")
