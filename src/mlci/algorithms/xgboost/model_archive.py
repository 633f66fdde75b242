"""Unpack a model.tar.gz without trusting it.

A model archive comes from a user's S3 bucket, so it may hold anything. Only regular files and
directories are extracted, each to a path that stays inside the destination: absolute names,
`..` components, links, devices and FIFOs are refused, and so is an archive whose files add up
to more than `max_bytes` (or that has more than `max_members` entries). Extraction writes each
file itself instead of calling `tarfile.extractall`, so no tar feature (permissions, owners,
links) can reach outside the destination.
"""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path, PurePosixPath

from mlci.algorithms.errors import ModelLoadError

MAX_BYTES = 2 * 1024**3
MAX_MEMBERS = 10_000


def is_archive(path: Path) -> bool:
    return path.is_file() and tarfile.is_tarfile(path)


def extract(
    archive: Path, destination: Path, max_bytes: int = MAX_BYTES, max_members: int = MAX_MEMBERS
) -> None:
    """Extract `archive` into the (existing, empty) `destination`; raise ModelLoadError."""
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = _checked_members(tar, max_bytes, max_members)
            for member in members:
                _extract_member(tar, member, destination)
    except (tarfile.TarError, EOFError, OSError) as error:
        raise ModelLoadError(f"{archive.name} is not a readable tar archive: {error}") from None


def _checked_members(
    tar: tarfile.TarFile, max_bytes: int, max_members: int
) -> list[tarfile.TarInfo]:
    members: list[tarfile.TarInfo] = []
    total = 0
    for member in tar:
        if len(members) >= max_members:
            raise ModelLoadError(f"the model archive has more than {max_members} entries")
        _check_name(member.name)
        if not (member.isfile() or member.isdir()):
            raise ModelLoadError(
                f"the model archive entry {member.name!r} is a {_kind(member)}; "
                "only regular files and directories are allowed"
            )
        total += member.size if member.isfile() else 0
        if total > max_bytes:
            raise ModelLoadError(f"the model archive unpacks to more than {max_bytes} bytes")
        members.append(member)
    return members


def _check_name(name: str) -> None:
    path = PurePosixPath(name)
    if name.startswith(("/", "\\")) or path.is_absolute():
        raise ModelLoadError(f"the model archive entry {name!r} has an absolute path")
    if ".." in path.parts or "\\" in name:
        raise ModelLoadError(f"the model archive entry {name!r} points outside the archive")


def _kind(member: tarfile.TarInfo) -> str:
    if member.issym():
        return "symbolic link"
    if member.islnk():
        return "hard link"
    if member.isfifo():
        return "FIFO"
    return "device" if member.isdev() else "special file"


def _extract_member(tar: tarfile.TarFile, member: tarfile.TarInfo, destination: Path) -> None:
    target = destination.joinpath(*PurePosixPath(member.name).parts)
    if not target.resolve().is_relative_to(destination.resolve()):
        raise ModelLoadError(f"the model archive entry {member.name!r} points outside the archive")
    if member.isdir():
        target.mkdir(parents=True, exist_ok=True)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    source = tar.extractfile(member)
    assert source is not None  # every regular-file member has data to read
    with source, open(target, "wb") as out:
        shutil.copyfileobj(source, out)
