"""Bucket names and object keys: what S3 accepts, and how they are read from a request path.

Keys are data, never paths: they are decoded from the percent-encoded request path exactly as
sent (`../x`, `a//b` and NUL are all legal keys) and stored as UTF-8 bytes.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, unquote_to_bytes

from mlci.cloud.errors import AwsError

MAX_KEY_BYTES = 1024
# Virtual-host addressing is recognised for this domain only: an endpoint of
# http://localhost:<port> makes botocore address buckets as <bucket>.localhost:<port>.
VIRTUAL_HOST_SUFFIX = ".localhost"

_BUCKET_CHARS = re.compile(r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")
_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def bucket_name_problem(name: str) -> str | None:
    """Why `name` is not a valid general-purpose bucket name, or None if it is."""
    if not 3 <= len(name) <= 63:
        return "must be between 3 and 63 characters long"
    if not _BUCKET_CHARS.match(name):
        return (
            "may contain only lowercase letters, digits, dots and hyphens, "
            "and must begin and end with a letter or digit"
        )
    if ".." in name or ".-" in name or "-." in name:
        return "must not contain two adjacent periods or a period next to a hyphen"
    if _IPV4.match(name):
        return "must not be formatted as an IP address"
    if name.startswith(_RESERVED_PREFIXES) or name.endswith(_RESERVED_SUFFIXES):
        return "uses a prefix or suffix that S3 reserves"
    return None


def check_bucket_name(name: str) -> None:
    problem = bucket_name_problem(name)
    if problem is not None:
        raise AwsError(
            "InvalidBucketName",
            f"The specified bucket is not valid: bucket name {problem}",
            BucketName=name,
        )


def address(host: str | None, raw_path: str) -> tuple[str, str | None]:
    """The bucket and key a request addresses: virtual-host style when the Host header is
    `<bucket>.localhost[:port]`, path style otherwise (either may be empty/None)."""
    bucket = virtual_host_bucket(host)
    if bucket is None:
        return split_path(raw_path)
    key_part = raw_path[1:] if raw_path.startswith("/") else raw_path
    return bucket, decode_key(key_part) if key_part else None


def virtual_host_bucket(host: str | None) -> str | None:
    if not host or host.startswith("["):
        return None
    name = host.rsplit(":", 1)[0].lower()
    if name.endswith(VIRTUAL_HOST_SUFFIX) and len(name) > len(VIRTUAL_HOST_SUFFIX):
        return name[: -len(VIRTUAL_HOST_SUFFIX)]
    return None


def split_path(raw_path: str) -> tuple[str, str | None]:
    """The bucket and key a path-style request addresses (either may be empty/None)."""
    bucket_part, slash, key_part = raw_path.lstrip("/").partition("/")
    bucket = unquote(bucket_part)
    if not slash or not key_part:
        return bucket, None
    return bucket, decode_key(key_part)


def decode_key(encoded: str) -> str:
    """A key from its percent-encoded form; refuses bytes that are not UTF-8 and long keys."""
    raw = unquote_to_bytes(encoded)
    try:
        key = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise AwsError(
            "InvalidURI", "Couldn't parse the specified URI: the key is not UTF-8"
        ) from None
    check_key(key, len(raw))
    return key


def check_key(key: str, encoded_length: int | None = None) -> None:
    size = encoded_length if encoded_length is not None else len(key.encode("utf-8"))
    if size > MAX_KEY_BYTES:
        raise AwsError(
            "KeyTooLongError",
            f"Your key is too long: {size} bytes of UTF-8, the limit is {MAX_KEY_BYTES}",
            MaxSizeAllowed=str(MAX_KEY_BYTES),
            Size=str(size),
        )


def key_bytes(key: str) -> bytes:
    """How a key is stored: UTF-8 bytes, so SQLite's BLOB ordering is S3's listing order."""
    return key.encode("utf-8")
