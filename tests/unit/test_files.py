"""mlci.files.write_atomically: whole files, no leftovers, modes kept."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from mlci.files import write_atomically


def test_writes_bytes_and_text_and_creates_parents(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "result.json"
    write_atomically(target, b"one")
    write_atomically(target, "twö")
    assert target.read_text(encoding="utf-8") == "twö"
    assert [p.name for p in target.parent.iterdir()] == ["result.json"]


def test_mode_is_applied_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        write_atomically(tmp_path / "public", b"x")
    finally:
        os.umask(old)
    write_atomically(tmp_path / "secret", b"x", mode=0o600)
    assert stat.S_IMODE((tmp_path / "public").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "secret").stat().st_mode) == 0o600


def test_a_temporary_left_by_a_crash_is_replaced(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    stale = tmp_path / f".out.json.{os.getpid()}-{threading.get_ident()}.tmp"
    stale.write_text("half", encoding="utf-8")
    write_atomically(target, "whole")
    assert target.read_text(encoding="utf-8") == "whole" and not stale.exists()


def test_a_failed_write_keeps_the_old_content_and_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    write_atomically(target, "old")
    with pytest.raises(UnicodeEncodeError):
        write_atomically(target, "bad \udcff surrogate")
    (tmp_path / "taken").mkdir()  # a directory cannot be replaced by a file
    with pytest.raises(IsADirectoryError):
        write_atomically(tmp_path / "taken", b"data")
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json", "taken"]
