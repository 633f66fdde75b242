"""Durable small-file writes shared by every part of mlci: a reader sees the old file or the
new one, never half, and the new one survives a crash once this returns.

Kept free of heavy imports (not even `tempfile`): `mlci changes` calls it on its hot path.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path


def write_atomically(path: Path, data: bytes | str, mode: int = 0o644) -> None:
    """Write to a temporary file beside `path`, fsync it, rename it over `path`, then fsync the
    folder so that the rename itself is durable. Text is written as UTF-8."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    # Process and thread in the name, so concurrent writers never share a temporary file.
    temporary = path.parent / f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    try:
        handle = os.open(temporary, flags, mode)
    except FileExistsError:  # left by a crashed writer that had our process and thread ids
        temporary.unlink()
        handle = os.open(temporary, flags, mode)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)  # the umask may have narrowed or widened it
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
