"""CopyObject: a new object from a stored one, its metadata copied or replaced."""

from __future__ import annotations

import time
from urllib.parse import unquote

from mlci.cloud.errors import AwsError
from mlci.cloud.http import Response
from mlci.cloud.services.s3 import conditions, integrity, metadata, xmlio
from mlci.cloud.services.s3.blobio import copy_to_body, find_object, open_object
from mlci.cloud.services.s3.call import Call, S3State, xml_response
from mlci.cloud.services.s3.names import decode_key
from mlci.cloud.services.s3.records import ObjectRecord
from mlci.cloud.services.s3.xmlio import leaf

_DIRECTIVES = ("COPY", "REPLACE")


def copy_object(s3: S3State, call: Call) -> Response:
    source_bucket, source_key = parse_copy_source(call.header("x-amz-copy-source") or "")
    source = find_object(s3, source_bucket, source_key)
    conditions.check_copy_source(call.request.headers, source.etag, source.last_modified)
    headers = _new_metadata(call, source, (source_bucket, source_key) == (call.bucket, call.key))
    handle, source = open_object(s3, source_bucket, source)
    algorithm = checksum_algorithm(call, source)
    body, checksum = copy_to_body(s3, handle, algorithm)
    blob_id = s3.blobs.put_body(body)
    record = ObjectRecord(
        key=call.object_key,
        blob_id=blob_id,
        size=body.size,
        etag=body.md5_digest.hex(),
        last_modified=time.time(),
        headers=tuple(headers),
        checksum=checksum,
    )
    s3.blobs.commit(blob_id, lambda: s3.objects.put_object(call.bucket, record))
    children = [
        leaf("ETag", record.quoted_etag),
        leaf("LastModified", metadata.iso_date(record.last_modified)),
        leaf(checksum.element, checksum.value) if checksum else "",
        leaf("ChecksumType", checksum.type) if checksum else "",
    ]
    return xml_response(xmlio.document("CopyObjectResult", children))


def parse_copy_source(value: str) -> tuple[str, str]:
    """`bucket/key` (url-encoded, optionally with a leading slash and `?versionId=`)."""
    path, _, version = value.partition("?versionId=")
    bucket, slash, key = path.lstrip("/").partition("/")
    if not slash or not key or not bucket:
        raise AwsError(
            "InvalidArgument",
            "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
            ArgumentName="x-amz-copy-source",
        )
    if version and version != "null":
        raise AwsError("InvalidArgument", "Invalid version id specified", ArgumentName="versionId")
    return unquote(bucket), decode_key(key)


def _new_metadata(call: Call, source: ObjectRecord, same_object: bool) -> list[tuple[str, str]]:
    directive = (call.header("x-amz-metadata-directive") or "COPY").upper()
    if directive not in _DIRECTIVES:
        raise AwsError(
            "InvalidArgument",
            f"Unknown metadata directive {directive[:32]!r}: use COPY or REPLACE",
            ArgumentName="x-amz-metadata-directive",
        )
    if directive == "REPLACE":
        return metadata.stored_headers(call.request.headers, "CopyObject")
    changes_class = "x-amz-storage-class" in call.request.headers
    if same_object and not changes_class:
        raise AwsError(
            "InvalidRequest",
            "This copy request is illegal because it is trying to copy an object to itself "
            "without changing the object's metadata, storage class, website redirect location "
            "or encryption attributes.",
        )
    kept = [(k, v) for k, v in source.headers if k != "x-amz-storage-class"]
    if changes_class:
        kept.append(("x-amz-storage-class", call.request.headers["x-amz-storage-class"]))
    return kept


def checksum_algorithm(call: Call, source: ObjectRecord) -> str | None:
    requested = call.header("x-amz-checksum-algorithm")
    if requested is not None:
        algorithm = requested.upper()
        if algorithm not in integrity.DIGEST_SIZES:
            raise AwsError("InvalidRequest", f"Checksum algorithm {requested[:32]!r} is not valid")
        return algorithm
    return source.checksum.algorithm if source.checksum else None
