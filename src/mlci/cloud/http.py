"""The request and response values that pass between the server and the services.

The server turns ASGI messages into a `Request`, the services return a `Response`. Services
never see ASGI, so they can be driven directly in unit tests and the server can be swapped.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, unquote

# Bodies up to this size stay in memory; larger ones are spooled to a file in the blob store's
# temporary folder, so that an upload can be moved into place without a second copy.
MEMORY_BODY_LIMIT = 1024 * 1024


class Body:
    """A request body, read once from the network, hashed while it arrives."""

    def __init__(self, spool_dir: Path | None = None) -> None:
        self._spool_dir = spool_dir
        self._chunks: list[bytes] = []
        self._file: tempfile._TemporaryFileWrapper[bytes] | None = None
        self._sha256 = hashlib.sha256()
        self._md5 = hashlib.md5()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self._sha256.update(chunk)
        self._md5.update(chunk)
        self.size += len(chunk)
        if self._file is not None:
            self._file.write(chunk)
            return
        self._chunks.append(chunk)
        if self.size > MEMORY_BODY_LIMIT and self._spool_dir is not None:
            self._file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - outlives this call
                dir=self._spool_dir, prefix="upload-", delete=False
            )
            for part in self._chunks:
                self._file.write(part)
            self._chunks = []

    @property
    def sha256_hex(self) -> str:
        return self._sha256.hexdigest()

    @property
    def md5_digest(self) -> bytes:
        return self._md5.digest()

    def read(self) -> bytes:
        if self._file is None:
            if len(self._chunks) != 1:
                self._chunks = [b"".join(self._chunks)]
            return self._chunks[0] if self._chunks else b""
        self._file.flush()
        return Path(self._file.name).read_bytes()

    def persist_to(self, path: Path) -> None:
        """Make the bytes durable at `path` (fsync, atomic rename): never a partial file."""
        if self._file is None:
            tmp = path.with_name(path.name + ".tmp")
            with open(tmp, "wb") as out:
                for part in self._chunks:
                    out.write(part)
                out.flush()
                os.fsync(out.fileno())
        else:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            tmp = Path(self._file.name)
            self._file = None
        os.replace(tmp, path)

    def discard(self) -> None:
        if self._file is not None:
            self._file.close()
            Path(self._file.name).unlink(missing_ok=True)
            self._file = None


@dataclass
class Request:
    method: str
    raw_path: str  # as sent, percent-encoded (what the signature covers)
    query_string: str  # as sent, percent-encoded
    headers: dict[str, str]  # lower-case names
    body: Body = field(default_factory=Body)
    # Filled in by the authenticator.
    service: str = ""
    region: str = ""
    access_key: str = ""

    @property
    def path(self) -> str:
        return unquote(self.raw_path)

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(self.query_string, keep_blank_values=True))

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)


@dataclass(frozen=True)
class FileSlice:
    """A byte range of a stored file, streamed to the client without loading it whole."""

    path: Path
    start: int
    length: int
    chunk_size: int = 1024 * 1024

    def chunks(self) -> Iterator[bytes]:
        with open(self.path, "rb") as src:
            src.seek(self.start)
            left = self.length
            while left > 0:
                data = src.read(min(self.chunk_size, left))
                if not data:
                    raise OSError(f"stored object is shorter than recorded: {self.path.name}")
                left -= len(data)
                yield data


@dataclass
class Response:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | FileSlice = b""

    @property
    def content_length(self) -> int:
        return self.body.length if isinstance(self.body, FileSlice) else len(self.body)
