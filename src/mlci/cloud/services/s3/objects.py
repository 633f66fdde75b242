"""PutObject, GetObject, HeadObject and DeleteObject."""

from __future__ import annotations

import time
from pathlib import Path
from typing import BinaryIO

from mlci.cloud.errors import AwsError
from mlci.cloud.http import Response
from mlci.cloud.services.s3 import conditions, metadata
from mlci.cloud.services.s3.blobio import (
    OpenFileSlice,
    find_object,
    no_such_key,
    open_object,
    store_payload,
)
from mlci.cloud.services.s3.call import Call, S3State
from mlci.cloud.services.s3.ranges import ByteRange, parse_range
from mlci.cloud.services.s3.records import ObjectRecord
from mlci.cloud.services.s3.store import Precondition

# Objects up to this size are read in the worker thread and sent in one piece; larger ones
# stream from the open file.
INLINE_LIMIT = 1024 * 1024
_CONDITIONAL = ("if-match", "if-none-match", "if-modified-since", "if-unmodified-since")


def put_object(s3: S3State, call: Call) -> Response:
    key = call.object_key
    pairs = metadata.stored_headers(call.request.headers, "PutObject")
    metadata.check_metadata_size(pairs)
    stored = store_payload(s3, call)
    record = ObjectRecord(
        key=key,
        blob_id=stored.blob_id,
        size=stored.size,
        etag=stored.md5_hex,
        last_modified=time.time(),
        headers=tuple(pairs),
        checksum=stored.checksum,
    )
    s3.blobs.commit(
        stored.blob_id,
        lambda: s3.objects.put_object(call.bucket, record, _write_precondition(call)),
    )
    headers = [("etag", record.quoted_etag)]
    if record.checksum is not None:
        headers.append((record.checksum.header, record.checksum.value))
    return Response(200, headers)


def get_object(s3: S3State, call: Call) -> Response:
    record = find_object(s3, call.bucket, call.object_key)
    handle, record = open_object(s3, call.bucket, record)
    try:
        response = _read_response(call, record, handle, s3.blobs.path(record.blob_id))
    except BaseException:
        handle.close()
        raise
    if not isinstance(response.body, OpenFileSlice):
        handle.close()
    return response


def head_object(s3: S3State, call: Call) -> Response:
    record = find_object(s3, call.bucket, call.object_key)
    if _not_modified(call, record):
        return _not_modified_response(record)
    served = _served_range(call, record)
    response = _object_response(call, record, served)
    length = served.length if served else record.size
    response.headers.append(("content-length", str(length)))
    return response


def delete_object(s3: S3State, call: Call) -> Response:
    s3.discard_blobs(s3.objects.delete_objects(call.bucket, [call.object_key]))
    return Response(204)


def _read_response(call: Call, record: ObjectRecord, handle: BinaryIO, path: Path) -> Response:
    if _not_modified(call, record):
        return _not_modified_response(record)
    served = _served_range(call, record)
    response = _object_response(call, record, served)
    start, length = (served.start, served.length) if served else (0, record.size)
    if length <= INLINE_LIMIT:
        if start:
            handle.seek(start)
        response.body = handle.read(length)
        if len(response.body) != length:
            raise OSError(f"stored object is shorter than recorded: {record.blob_id}")
    else:
        response.body = OpenFileSlice(path, start, length, handle=handle)
    return response


def _object_response(call: Call, record: ObjectRecord, served: ByteRange | None) -> Response:
    headers = metadata.response_headers(list(record.headers), call.query)
    headers += [
        ("etag", record.quoted_etag),
        ("last-modified", metadata.http_date(record.last_modified)),
        ("accept-ranges", "bytes"),
    ]
    if record.part_sizes is not None and "partNumber" in call.query:
        headers.append(("x-amz-mp-parts-count", str(len(record.part_sizes))))
    if served is not None:
        headers.append(("content-range", served.content_range(record.size)))
    elif record.checksum is not None and call.header("x-amz-checksum-mode") == "ENABLED":
        headers.append((record.checksum.header, record.checksum.value))
        headers.append(("x-amz-checksum-type", record.checksum.type))
    return Response(206 if served is not None else 200, headers)


def _served_range(call: Call, record: ObjectRecord) -> ByteRange | None:
    part = call.query.get("partNumber")
    if part is None:
        return parse_range(call.header("range"), record.size)
    if call.header("range") is not None:
        raise AwsError(
            "InvalidRequest", "Cannot specify both Range header and partNumber query parameter"
        )
    return _part_range(part, record)


def _part_range(part: str, record: ObjectRecord) -> ByteRange:
    sizes = record.part_sizes or (record.size,)
    if not part.isdigit() or not 1 <= int(part) <= 10000:
        raise AwsError("InvalidArgument", "Part number must be an integer between 1 and 10000")
    number = int(part)
    if number > len(sizes):
        raise AwsError("InvalidPartNumber", "The requested partnumber is not satisfiable")
    return ByteRange(sum(sizes[: number - 1]), sizes[number - 1])


def _not_modified(call: Call, record: ObjectRecord) -> bool:
    headers = call.request.headers
    if not any(name in headers for name in _CONDITIONAL):
        return False
    return conditions.not_modified(headers, record.etag, record.last_modified)


def _not_modified_response(record: ObjectRecord) -> Response:
    # 304 carries no body; clients see the status itself as the error.
    return Response(
        304,
        [
            ("etag", record.quoted_etag),
            ("last-modified", metadata.http_date(record.last_modified)),
        ],
    )


def _write_precondition(call: Call) -> Precondition | None:
    """Conditional writes: If-None-Match: * (create only) and If-Match: <etag>."""
    if_none_match, if_match = call.header("if-none-match"), call.header("if-match")
    if if_none_match is None and if_match is None:
        return None

    def check(existing: ObjectRecord | None) -> None:
        if if_none_match is not None and _matches(if_none_match, existing):
            raise AwsError(
                "PreconditionFailed",
                "At least one of the pre-conditions you specified did not hold",
                Condition="If-None-Match",
            )
        if if_match is not None:
            if existing is None:
                raise no_such_key(call.object_key)
            if not conditions.etag_matches(if_match, existing.etag):
                raise AwsError(
                    "PreconditionFailed",
                    "At least one of the pre-conditions you specified did not hold",
                    Condition="If-Match",
                )

    return check


def _matches(header: str, existing: ObjectRecord | None) -> bool:
    return existing is not None and conditions.etag_matches(header, existing.etag)
