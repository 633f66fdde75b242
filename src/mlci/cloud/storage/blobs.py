"""Immutable byte blobs on disk, named by random ids.

A blob is written whole (temp file, fsync, rename) before any database row points at it, so a
reader never sees half an object. Names are ids we generate, never client-supplied keys. Blobs
no row references (a crash between write and commit, a delete) are removed by `sweep`.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path

from mlci.cloud.http import Body


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)

    def new_id(self) -> str:
        return secrets.token_hex(16)

    def path(self, blob_id: str) -> Path:
        if len(blob_id) != 32 or not all(c in "0123456789abcdef" for c in blob_id):
            raise ValueError(f"not a blob id: {blob_id!r}")
        return self.root / blob_id[:2] / blob_id

    def put_body(self, body: Body) -> str:
        blob_id = self.new_id()
        target = self.path(blob_id)
        target.parent.mkdir(exist_ok=True)
        body.persist_to(target)
        _fsync_dir(target.parent)
        return blob_id

    def put_bytes(self, data: bytes) -> str:
        body = Body()
        body.write(data)
        return self.put_body(body)

    def put_concatenation(self, blob_ids: Iterable[str]) -> tuple[str, int]:
        """One new blob holding the given blobs end to end (multipart completion)."""
        blob_id = self.new_id()
        target = self.path(blob_id)
        target.parent.mkdir(exist_ok=True)
        tmp = self.tmp / f"concat-{blob_id}"
        size = 0
        with open(tmp, "wb") as out:
            for part in blob_ids:
                with open(self.path(part), "rb") as src:
                    while chunk := src.read(1024 * 1024):
                        out.write(chunk)
                        size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
        _fsync_dir(target.parent)
        return blob_id, size

    def read(self, blob_id: str) -> bytes:
        return self.path(blob_id).read_bytes()

    def delete(self, blob_id: str) -> None:
        self.path(blob_id).unlink(missing_ok=True)

    def commit(self, blob_id: str, store_row: Callable[[], str | None]) -> None:
        """Run `store_row`, the transaction that makes a row point at the new `blob_id` and
        returns the blob the row pointed at before (if any). If it fails, the new blob goes;
        once it has committed, the replaced one does."""
        try:
            replaced = store_row()
        except BaseException:
            self.delete(blob_id)
            raise
        if replaced is not None:
            self.delete(replaced)

    def sweep(self, is_referenced: Callable[[str], bool]) -> int:
        """Delete temp files and unreferenced blobs; returns how many were removed."""
        removed = 0
        for leftover in self.tmp.iterdir():
            leftover.unlink(missing_ok=True)
            removed += 1
        for shard in self.root.iterdir():
            if shard == self.tmp or not shard.is_dir():
                continue
            for blob in shard.iterdir():
                if blob.name.endswith(".tmp") or not is_referenced(blob.name):
                    blob.unlink(missing_ok=True)
                    removed += 1
        return removed


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
