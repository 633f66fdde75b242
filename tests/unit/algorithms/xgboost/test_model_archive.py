from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from mlci.algorithms.errors import ModelLoadError
from mlci.algorithms.xgboost import model_archive


def build(path: Path, entries: list[tarfile.TarInfo], data: bytes = b"model") -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info in entries:
            if info.isfile():
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return path


def entry(name: str, kind: bytes = tarfile.REGTYPE, target: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


def test_regular_files_and_directories_are_extracted(tmp_path: Path) -> None:
    archive = build(tmp_path / "model.tar.gz",
                    [entry("./", tarfile.DIRTYPE), entry("./xgboost-model"),
                     entry("extra", tarfile.DIRTYPE), entry("extra/notes.txt")])  # fmt: skip
    out = tmp_path / "out"
    out.mkdir()

    model_archive.extract(archive, out)

    assert (out / "xgboost-model").read_bytes() == b"model"
    assert (out / "extra" / "notes.txt").read_bytes() == b"model"
    assert model_archive.is_archive(archive) and not model_archive.is_archive(out / "extra")


@pytest.mark.parametrize(
    ("member", "message"),
    [
        (entry("../evil"), r"entry '\.\./evil' points outside the archive"),
        (entry("a/../../evil"), r"entry 'a/\.\./\.\./evil' points outside the archive"),
        (entry("/etc/evil"), r"entry '/etc/evil' has an absolute path"),
        (entry("a\\..\\evil"), r"entry '.*' points outside the archive"),
        (entry("link", tarfile.SYMTYPE, "/etc/passwd"), r"entry 'link' is a symbolic link; only "
                                                         r"regular files and directories"),
        (entry("hard", tarfile.LNKTYPE, "xgboost-model"), r"entry 'hard' is a hard link"),
        (entry("dev", tarfile.CHRTYPE), r"entry 'dev' is a device"),
        (entry("blk", tarfile.BLKTYPE), r"entry 'blk' is a device"),
        (entry("pipe", tarfile.FIFOTYPE), r"entry 'pipe' is a FIFO"),
        (entry("odd", b"Z"), r"entry 'odd' is a special file"),
    ],
)  # fmt: skip
def test_dangerous_members_are_refused(
    tmp_path: Path, member: tarfile.TarInfo, message: str
) -> None:
    archive = build(tmp_path / "model.tar.gz", [entry("xgboost-model"), member])
    out = tmp_path / "out"
    out.mkdir()

    with pytest.raises(
        ModelLoadError, match=rf"^Unable to load model: the model archive {message}"
    ):
        model_archive.extract(archive, out)
    assert list(out.iterdir()) == []  # refused before anything was written
    assert not (tmp_path / "evil").exists()


def test_size_is_bounded(tmp_path: Path) -> None:
    archive = build(tmp_path / "m.tar.gz", [entry("a"), entry("b")], data=b"x" * 8)

    with pytest.raises(ModelLoadError, match=r"unpacks to more than 10 bytes"):
        model_archive.extract(archive, tmp_path, max_bytes=10)


def test_entry_count_is_bounded(tmp_path: Path) -> None:
    archive = build(tmp_path / "m.tar.gz", [entry("a"), entry("b")])

    with pytest.raises(ModelLoadError, match=r"has more than 1 entries"):
        model_archive.extract(archive, tmp_path, max_members=1)


def test_a_corrupt_archive_is_a_load_error(tmp_path: Path) -> None:
    archive = build(tmp_path / "m.tar.gz", [entry("xgboost-model")], data=b"y" * 5000)
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[:60])

    with pytest.raises(ModelLoadError, match=r"truncated\.tar\.gz is not a readable tar archive"):
        model_archive.extract(truncated, tmp_path)


def test_a_symlink_already_in_the_destination_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "sub").symlink_to(outside)
    archive = build(tmp_path / "m.tar.gz", [entry("sub/xgboost-model")])

    with pytest.raises(ModelLoadError, match=r"entry 'sub/xgboost-model' points outside"):
        model_archive.extract(archive, out)
    assert list(outside.iterdir()) == []
