"""Object metadata: which request headers are stored with an object and sent back with it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import formatdate

from mlci.cloud.errors import AwsError, not_implemented

DEFAULT_CONTENT_TYPE = "binary/octet-stream"
USER_PREFIX = "x-amz-meta-"
# Stored as sent and returned on GET/HEAD (S3's "system-defined" metadata a client may set).
STORED_HEADERS = (
    "content-type",
    "content-encoding",
    "content-disposition",
    "cache-control",
    "content-language",
    "expires",
    "x-amz-website-redirect-location",
    "x-amz-storage-class",
    "x-amz-server-side-encryption",
)
# GetObject query parameters that override a stored header in the response.
RESPONSE_OVERRIDES = {
    "response-content-type": "content-type",
    "response-content-language": "content-language",
    "response-expires": "expires",
    "response-cache-control": "cache-control",
    "response-content-disposition": "content-disposition",
    "response-content-encoding": "content-encoding",
}
# Request headers naming features this cloud does not store; refusing them beats pretending.
_UNSUPPORTED = {
    "x-amz-tagging": "object tagging (x-amz-tagging)",
    "x-amz-object-lock-mode": "object lock",
    "x-amz-object-lock-legal-hold": "object lock legal hold",
    "x-amz-server-side-encryption-customer-algorithm": "SSE-C encryption",
}


def stored_headers(headers: Mapping[str, str], operation: str) -> list[tuple[str, str]]:
    """The metadata headers of a PutObject-like request, in a stable order."""
    for name, feature in _UNSUPPORTED.items():
        if name in headers:
            raise not_implemented("s3", f"{operation} with {feature}")
    kept: list[tuple[str, str]] = []
    for name in STORED_HEADERS:
        value = headers.get(name)
        if value is None:
            continue
        if name == "content-encoding":
            value = _without_aws_chunked(value)
            if not value:
                continue
        if name == "x-amz-server-side-encryption" and value != "AES256":
            raise not_implemented("s3", f"{operation} with server-side encryption {value}")
        kept.append((name, value))
    kept.extend(sorted((k, v) for k, v in headers.items() if k.startswith(USER_PREFIX)))
    return kept


def check_metadata_size(pairs: list[tuple[str, str]]) -> None:
    """S3 limits user metadata to 2 KB (names and values, as sent)."""
    size = sum(len(k) - len(USER_PREFIX) + len(v) for k, v in pairs if k.startswith(USER_PREFIX))
    if size > 2048:
        raise AwsError(
            "MetadataTooLarge",
            f"Your metadata headers exceed the maximum allowed metadata size ({size} > 2048 bytes)",
        )


def content_type(pairs: list[tuple[str, str]]) -> str:
    for name, value in pairs:
        if name == "content-type":
            return value
    return DEFAULT_CONTENT_TYPE


def storage_class(pairs: list[tuple[str, str]]) -> str:
    for name, value in pairs:
        if name == "x-amz-storage-class":
            return value
    return "STANDARD"


def response_headers(
    pairs: list[tuple[str, str]], query: Mapping[str, str] | None = None
) -> list[tuple[str, str]]:
    """Stored metadata as response headers, with GetObject's response-* overrides applied."""
    headers = [(k, v) for k, v in pairs if k != "x-amz-storage-class" or v != "STANDARD"]
    if not any(k == "content-type" for k, _ in headers):
        headers.insert(0, ("content-type", DEFAULT_CONTENT_TYPE))
    if query:
        overrides = {RESPONSE_OVERRIDES[k]: v for k, v in query.items() if k in RESPONSE_OVERRIDES}
        if overrides:
            headers = [(k, v) for k, v in headers if k not in overrides]
            headers.extend(overrides.items())
    return headers


def http_date(timestamp: float) -> str:
    """`Wed, 01 Dec 2026 13:41:14 GMT`, as Last-Modified is sent."""
    return formatdate(int(timestamp), usegmt=True)


def iso_date(timestamp: float) -> str:
    """`2026-12-01T13:41:14.000Z`, as listings show times."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _without_aws_chunked(value: str) -> str:
    codings = [c.strip() for c in value.split(",") if c.strip() and c.strip() != "aws-chunked"]
    return ",".join(codings)
