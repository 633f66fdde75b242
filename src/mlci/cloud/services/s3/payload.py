"""The request body as the operation sees it: decoded from aws-chunked if needed, with its
integrity headers (x-amz-content-sha256, Content-MD5, x-amz-checksum-*) checked or collected."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from mlci.cloud.errors import AwsError
from mlci.cloud.http import MEMORY_BODY_LIMIT, Body, Request
from mlci.cloud.services.s3 import integrity
from mlci.cloud.services.s3.chunked import ChunkedDecoder
from mlci.cloud.services.s3.integrity import Checksum

READ_SIZE = 1024 * 1024
# XML request documents (DeleteObjects of 1,000 long keys is the largest) are read whole.
MAX_DOCUMENT = 4 * 1024 * 1024


@dataclass
class Payload:
    body: Body  # the object bytes (decoded when the request was aws-chunked)
    checksum: Checksum | None  # the flexible checksum the client sent, not yet verified
    decoded: bool = False  # body is ours (decoded), not the request's

    def document(self, verify: bool = True) -> bytes:
        """The body of an XML-bodied request, whole, its checksum verified (except where the
        checksum headers describe something else: CompleteMultipartUpload's whole object)."""
        if self.body.size > MAX_DOCUMENT:
            raise AwsError("MaxMessageLengthExceeded", "Your request was too big.")
        data = self.body.read()
        if verify and self.checksum is not None:
            integrity.verify(self.checksum, [data])
        return data

    def discard(self) -> None:
        if self.decoded:
            self.body.discard()


def read_payload(request: Request, spool: Path) -> Payload:
    content_sha256 = request.header("x-amz-content-sha256")
    if _is_aws_chunked(request, content_sha256):
        body, trailers = _decode(request, spool)
        payload = Payload(body, None, decoded=True)
        headers = {**request.headers, **trailers}
    else:
        integrity.check_content_sha256(content_sha256, request.body.sha256_hex)
        payload, headers = Payload(request.body, None), request.headers
    try:
        integrity.check_content_md5(request.header("content-md5"), payload.body.md5_digest)
        payload.checksum = integrity.claimed_checksum(headers)
    except AwsError:
        payload.discard()
        raise
    return payload


def _is_aws_chunked(request: Request, content_sha256: str | None) -> bool:
    encoding = request.header("content-encoding") or ""
    if "aws-chunked" in encoding:
        return True
    return content_sha256 is not None and content_sha256.startswith("STREAMING-")


def _decode(request: Request, spool: Path) -> tuple[Body, dict[str, str]]:
    decoded = Body(spool)
    decoder = ChunkedDecoder(decoded.write)
    try:
        for chunk in _raw_chunks(request.body, spool):
            decoder.feed(chunk)
        trailers = decoder.finish()
        declared = request.header("x-amz-decoded-content-length")
        if declared is not None and declared.strip() != str(decoder.decoded_size):
            raise AwsError(
                "IncompleteBody",
                f"x-amz-decoded-content-length is {declared} but the aws-chunked body "
                f"holds {decoder.decoded_size} bytes",
            )
    except BaseException:
        decoded.discard()
        raise
    return decoded, trailers


def _raw_chunks(body: Body, spool: Path) -> Iterator[bytes]:
    if body.size <= MEMORY_BODY_LIMIT:
        yield body.read()
        return
    # A spooled body is only reachable through persist_to: move it aside and stream it.
    raw = spool / f"chunked-{secrets.token_hex(8)}"
    body.persist_to(raw)
    try:
        with open(raw, "rb") as source:
            while chunk := source.read(READ_SIZE):
                yield chunk
    finally:
        raw.unlink(missing_ok=True)
