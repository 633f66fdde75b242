"""What every S3 operation handler receives: the service's stores and the parsed request."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from mlci.cloud.errors import AwsError
from mlci.cloud.http import Request, Response
from mlci.cloud.service import Context
from mlci.cloud.services.s3.payload import Payload
from mlci.cloud.services.s3.store import ObjectStore
from mlci.cloud.services.s3.uploads_store import UploadStore
from mlci.cloud.storage.blobs import BlobStore


@dataclass(frozen=True)
class S3State:
    objects: ObjectStore
    uploads: UploadStore
    blobs: BlobStore

    def discard_blobs(self, blob_ids: list[str]) -> None:
        """Remove blobs no committed row points at any more (only ever after the commit)."""
        for blob_id in blob_ids:
            self.blobs.delete(blob_id)


@dataclass
class Call:
    request: Request
    ctx: Context
    payload: Payload
    bucket: str
    key: str | None
    query: dict[str, str] = field(default_factory=dict)

    @property
    def object_key(self) -> str:
        if self.key is None:  # routing only sends object operations here with a key
            raise AwsError("InvalidRequest", "this operation needs an object key")
        return self.key

    def header(self, name: str) -> str | None:
        return self.request.headers.get(name)

    def owner_id(self) -> str:
        """S3's canonical user id for the calling account (64 hex digits)."""
        return hashlib.sha256(f"mlci:{self.ctx.account_id}".encode()).hexdigest()


Handler = Callable[[S3State, Call], Response]


def owner_xml(call: Call) -> str:
    return f"<Owner><ID>{call.owner_id()}</ID><DisplayName>mlci</DisplayName></Owner>"


def xml_response(body: bytes, status: int = 200) -> Response:
    return Response(status, [("content-type", "application/xml")], body)
