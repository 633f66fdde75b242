"""Integrity checks on what a client sent: x-amz-content-sha256, Content-MD5 and the
flexible checksums (x-amz-checksum-crc32 and friends) that recent SDKs send by default."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from mlci.cloud.errors import AwsError

# algorithm -> digest size in bytes. CRC32C, CRC64NVME and the XXHASH family need native
# code we do not ship: their values are stored and returned, but not verified.
DIGEST_SIZES = {
    "CRC32": 4,
    "CRC32C": 4,
    "CRC64NVME": 8,
    "SHA1": 20,
    "SHA256": 32,
    "SHA512": 64,
    "MD5": 16,
    "XXHASH64": 8,
    "XXHASH3": 8,
    "XXHASH128": 16,
}
_HASHLIB_NAMES = {"SHA1": "sha1", "SHA256": "sha256", "SHA512": "sha512", "MD5": "md5"}
FULL_OBJECT = "FULL_OBJECT"
COMPOSITE = "COMPOSITE"
_HEX_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_UNHASHED = ("UNSIGNED-PAYLOAD", "STREAMING-")


@dataclass(frozen=True)
class Checksum:
    algorithm: str  # CRC32, SHA256, ...
    value: str  # base64 digest; "<base64>-<parts>" for a composite multipart checksum
    type: str = FULL_OBJECT

    @property
    def header(self) -> str:
        return header_name(self.algorithm)

    @property
    def element(self) -> str:
        """The XML element name S3 uses for it (ChecksumCRC32, ...)."""
        return "Checksum" + self.algorithm


def header_name(algorithm: str) -> str:
    return "x-amz-checksum-" + algorithm.lower()


class _Hash(Protocol):
    def update(self, data: bytes, /) -> None: ...
    def digest(self) -> bytes: ...


class _Crc32:
    def __init__(self) -> None:
        self.value = 0

    def update(self, data: bytes) -> None:
        self.value = zlib.crc32(data, self.value)

    def digest(self) -> bytes:
        return self.value.to_bytes(4, "big")


def new_hash(algorithm: str) -> _Hash | None:
    """A running hash for `algorithm`, or None if this cloud cannot compute it."""
    if algorithm == "CRC32":
        return _Crc32()
    name = _HASHLIB_NAMES.get(algorithm)
    return hashlib.new(name) if name is not None else None


def compute(algorithm: str, chunks: Iterable[bytes]) -> str | None:
    """The base64 checksum of the bytes, or None if the algorithm is not computable here."""
    running = new_hash(algorithm)
    if running is None:
        return None
    for chunk in chunks:
        running.update(chunk)
    return base64.b64encode(running.digest()).decode()


def verify(claim: Checksum, chunks: Iterable[bytes]) -> None:
    actual = compute(claim.algorithm, chunks)
    if actual is not None and actual != claim.value:
        raise AwsError(
            "BadDigest",
            f"The {claim.algorithm} you specified did not match the calculated checksum",
        )


def claimed_checksum(headers: Mapping[str, str]) -> Checksum | None:
    """The flexible checksum a request carries in its headers (or trailers), validated."""
    found = [
        (alg, headers[header_name(alg)]) for alg in DIGEST_SIZES if header_name(alg) in headers
    ]
    if not found:
        return None
    if len(found) > 1:
        raise AwsError("InvalidRequest", "Expecting a single x-amz-checksum- header")
    algorithm, value = found[0]
    try:
        digest = base64.b64decode(value, validate=True)
    except binascii.Error:
        digest = b""
    if len(digest) != DIGEST_SIZES[algorithm]:
        raise AwsError("InvalidRequest", f"Value for {header_name(algorithm)} header is invalid.")
    return Checksum(algorithm, value)


def check_content_sha256(declared: str | None, actual_hex: str) -> None:
    """x-amz-content-sha256 must be a known placeholder or the hex SHA-256 of the body."""
    if declared is None or declared.startswith(_UNHASHED):
        return
    if not _HEX_SHA256.match(declared):
        raise AwsError(
            "InvalidArgument",
            "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-..., "
            "or a valid sha256 value.",
        )
    if declared != actual_hex:
        raise AwsError(
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
            ClientComputedContentSHA256=declared,
            S3ComputedContentSHA256=actual_hex,
        )


def check_content_md5(declared: str | None, actual: bytes) -> None:
    if declared is None:
        return
    try:
        expected = base64.b64decode(declared, validate=True)
    except binascii.Error:
        expected = b""
    if len(expected) != 16:
        raise AwsError("InvalidDigest", "The Content-MD5 you specified was invalid.")
    if expected != actual:
        raise AwsError(
            "BadDigest",
            "The Content-MD5 you specified did not match what we received.",
            ExpectedDigest=expected.hex(),
            CalculatedDigest=actual.hex(),
        )
