from __future__ import annotations

from pathlib import Path

import pytest

from mlci.algorithms.files import write_atomically


def test_writes_the_file_and_creates_parents(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "result.json"

    write_atomically(target, b"one")
    write_atomically(target, b"two")

    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["result.json"]


def test_a_failed_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()  # a directory cannot be replaced by a file

    with pytest.raises(IsADirectoryError):
        write_atomically(tmp_path / "taken", b"data")

    assert [p.name for p in tmp_path.iterdir()] == ["taken"]
