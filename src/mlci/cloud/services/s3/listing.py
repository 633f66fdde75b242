"""ListObjectsV2 and ListObjects (v1)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from urllib.parse import quote

from mlci.cloud.errors import AwsError
from mlci.cloud.http import Response
from mlci.cloud.services.s3 import metadata, walk, xmlio
from mlci.cloud.services.s3.call import Call, S3State, owner_xml, xml_response
from mlci.cloud.services.s3.records import ObjectRecord
from mlci.cloud.services.s3.xmlio import leaf, node

MAX_KEYS = 1000
_TOKEN_VERSION = "1"


def list_objects_v2(s3: S3State, call: Call) -> Response:
    q = call.query
    s3.objects.require_bucket(call.bucket)
    prefix, delimiter, max_keys, url = _common_arguments(call)
    token, start_after = q.get("continuation-token"), q.get("start-after")
    if token is not None:
        after: bytes | None = _decode_token(token)
    else:
        after = start_after.encode("utf-8") if start_after else None
    page = _page(s3, call, prefix, delimiter, after, max_keys)
    owner = owner_xml(call) if q.get("fetch-owner") == "true" else ""
    next_token = _encode_token(page.next_after) if page.next_after is not None else None
    children = [
        leaf("Name", call.bucket),
        leaf("Prefix", _out(prefix, url)),
        leaf("Delimiter", _out(delimiter, url) if delimiter else None),
        leaf("MaxKeys", max_keys),
        leaf("EncodingType", "url" if url else None),
        leaf("KeyCount", len(page.items) + len(page.prefixes)),
        leaf("IsTruncated", page.truncated),
        leaf("ContinuationToken", token),
        leaf("NextContinuationToken", next_token),
        leaf("StartAfter", _out(start_after, url) if start_after else None),
        *_contents(page.items, owner, url),
        *_prefixes(page.prefixes, url),
    ]
    return xml_response(xmlio.document("ListBucketResult", children))


def list_objects(s3: S3State, call: Call) -> Response:
    q = call.query
    s3.objects.require_bucket(call.bucket)
    prefix, delimiter, max_keys, url = _common_arguments(call)
    marker = q.get("marker", "")
    after = None
    if marker:
        after = walk.resume_after(marker.encode("utf-8"), prefix.encode("utf-8"), _b(delimiter))
    page = _page(s3, call, prefix, delimiter, after, max_keys)
    # S3 sends NextMarker only with a delimiter; otherwise clients continue from the last key.
    next_marker = None
    if page.truncated and delimiter and page.last_entry is not None:
        next_marker = page.last_entry.decode("utf-8")
    children = [
        leaf("Name", call.bucket),
        leaf("Prefix", _out(prefix, url)),
        leaf("Marker", _out(marker, url)),
        leaf("NextMarker", _out(next_marker, url) if next_marker else None),
        leaf("MaxKeys", max_keys),
        leaf("Delimiter", _out(delimiter, url) if delimiter else None),
        leaf("EncodingType", "url" if url else None),
        leaf("IsTruncated", page.truncated),
        *_contents(page.items, owner_xml(call), url),
        *_prefixes(page.prefixes, url),
    ]
    return xml_response(xmlio.document("ListBucketResult", children))


def _common_arguments(call: Call) -> tuple[str, str | None, int, bool]:
    q = call.query
    encoding = q.get("encoding-type")
    if encoding is not None and encoding != "url":
        raise AwsError(
            "InvalidArgument", "Invalid Encoding Method specified in Request",
            ArgumentName="encoding-type",
        )  # fmt: skip
    return (
        q.get("prefix", ""),
        q.get("delimiter") or None,
        _max_keys(q.get("max-keys")),
        bool(encoding),
    )


def _page(
    s3: S3State, call: Call, prefix: str, delimiter: str | None, after: bytes | None, max_keys: int
) -> walk.Page[ObjectRecord]:
    def fetch(lower: bytes, inclusive: bool, upper: bytes, limit: int) -> list[ObjectRecord]:
        return s3.objects.list_objects(call.bucket, lower, inclusive, upper, limit)

    return walk.list_page(
        fetch,
        lambda record: record.key.encode("utf-8"),
        prefix.encode("utf-8"),
        _b(delimiter),
        after,
        max_keys,
    )


def _contents(records: Iterable[ObjectRecord], owner: str, url: bool) -> Iterable[str]:
    for record in records:
        checksum = record.checksum
        yield node(
            "Contents",
            [
                leaf("Key", _out(record.key, url)),
                leaf("LastModified", metadata.iso_date(record.last_modified)),
                leaf("ETag", record.quoted_etag),
                leaf("ChecksumAlgorithm", checksum.algorithm if checksum else None),
                leaf("ChecksumType", checksum.type if checksum else None),
                leaf("Size", record.size),
                leaf("StorageClass", metadata.storage_class(list(record.headers))),
                owner,
            ],
        )


def _prefixes(prefixes: Iterable[bytes], url: bool) -> Iterable[str]:
    for prefix in prefixes:
        yield node("CommonPrefixes", [leaf("Prefix", _out(prefix.decode("utf-8"), url))])


def _out(value: str | None, url: bool) -> str | None:
    """A key-like value as the response carries it: percent-encoded under encoding-type=url
    ('+' too, since botocore decodes with unquote_plus)."""
    if value is None or not url:
        return value
    return quote(value, safe="/")


def _max_keys(value: str | None) -> int:
    if value is None:
        return MAX_KEYS
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise AwsError(
            "InvalidArgument", "Provided max-keys not an integer or within integer range",
            ArgumentName="max-keys", ArgumentValue=value[:64],
        )  # fmt: skip
    return min(number, MAX_KEYS)


def _encode_token(after: bytes) -> str:
    return _TOKEN_VERSION + base64.urlsafe_b64encode(after).decode()


def _decode_token(token: str) -> bytes:
    try:
        if not token.startswith(_TOKEN_VERSION):
            raise ValueError(token)
        return base64.urlsafe_b64decode(token[1:].encode("ascii"))
    except (ValueError, binascii.Error):
        raise AwsError(
            "InvalidArgument", "The continuation token provided is incorrect",
            ArgumentName="continuation-token",
        ) from None  # fmt: skip


def _b(value: str | None) -> bytes | None:
    return value.encode("utf-8") if value else None
