"""S3 over path-style REST: buckets, objects, listings and multipart uploads, stored durably.

Object bytes live in a blob store (written whole and fsync'd before the SQLite row that points
at them commits); metadata lives in SQLite. Layout: routing picks the operation, payload
decodes and checks the body, one module per group of operations does the work, store and
uploads_store hold the SQL.
"""

from __future__ import annotations

from pathlib import Path

from mlci.cloud.services.s3.call import S3State
from mlci.cloud.services.s3.schema import MIGRATIONS
from mlci.cloud.services.s3.service import S3Service
from mlci.cloud.services.s3.store import ObjectStore
from mlci.cloud.services.s3.uploads_store import UploadStore
from mlci.cloud.storage.blobs import BlobStore
from mlci.sqlite import Database

# Request bodies over 1 MiB are spooled here by the server before any service sees them.
SPOOL_DIR = ("blobs", "tmp")


def create(home: Path) -> list[S3Service]:
    db = Database(home / "s3.db", MIGRATIONS)
    state = S3State(ObjectStore(db), UploadStore(db), BlobStore(home / "blobs" / "s3"))
    _sweep(state, home.joinpath(*SPOOL_DIR))
    return [S3Service(state, db)]


def _sweep(state: S3State, spool: Path) -> None:
    """Remove what a crash can leave behind: blobs written but never committed (or whose row
    was replaced or deleted just before the crash), and half-received upload spools."""
    referenced = state.objects.referenced_blobs()
    state.blobs.sweep(referenced.__contains__)
    if spool.is_dir():
        for leftover in spool.glob("upload-*"):
            leftover.unlink(missing_ok=True)
