"""Telling whether a recorded process is still the one that was recorded, and ending groups.

A pid alone is not enough after a SIGKILL: the number may have been reused. On Linux the
process's start time (field 22 of /proc/<pid>/stat) goes with it; elsewhere we fall back to
"a process with this pid exists".
"""

from __future__ import annotations

import os
import signal
from pathlib import Path


def start_token(pid: int) -> str:
    """Something that changes when `pid` is reused: its start time, where the OS says."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return ""
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else ""


def is_alive(pid: int | None, token: str | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, owned by someone else
    if token:
        return start_token(pid) == token
    return True


def signal_group(pgid: int, sig: int) -> bool:
    """Send `sig` to a process group; False if the group is gone."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    return True


def group_alive(pgid: int) -> bool:
    return signal_group(pgid, 0)


def kill_group(pgid: int) -> None:
    signal_group(pgid, signal.SIGKILL)
