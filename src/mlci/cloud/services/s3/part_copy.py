"""UploadPartCopy: a multipart part taken from (a byte range of) a stored object. boto3's
managed `copy()` uses it for objects above its multipart threshold."""

from __future__ import annotations

import re
import time

from mlci.cloud.errors import AwsError
from mlci.cloud.http import Response
from mlci.cloud.services.s3 import conditions, metadata, xmlio
from mlci.cloud.services.s3.blobio import copy_to_body, find_object, open_object
from mlci.cloud.services.s3.call import Call, S3State, xml_response
from mlci.cloud.services.s3.copying import parse_copy_source
from mlci.cloud.services.s3.multipart import part_number
from mlci.cloud.services.s3.records import Part
from mlci.cloud.services.s3.xmlio import leaf

_COPY_RANGE = re.compile(r"^bytes=(\d+)-(\d+)$")


def upload_part_copy(s3: S3State, call: Call) -> Response:
    upload = s3.uploads.get(call.bucket, call.object_key, call.query["uploadId"])
    number = part_number(call.query.get("partNumber"))
    source_bucket, source_key = parse_copy_source(call.header("x-amz-copy-source") or "")
    source = find_object(s3, source_bucket, source_key)
    conditions.check_copy_source(call.request.headers, source.etag, source.last_modified)
    handle, source = open_object(s3, source_bucket, source)
    start, length = _copy_range(call.header("x-amz-copy-source-range"), source.size)
    body, checksum = copy_to_body(s3, handle, upload.checksum_algorithm, start, length)
    blob_id = s3.blobs.put_body(body)
    part = Part(
        number,
        blob_id,
        body.size,
        body.md5_digest.hex(),
        time.time(),
        checksum.value if checksum else None,
    )
    s3.blobs.commit(blob_id, lambda: s3.uploads.put_part(upload.upload_id, part))
    children = [
        leaf("ETag", f'"{part.etag}"'),
        leaf("LastModified", metadata.iso_date(part.last_modified)),
        leaf(checksum.element, checksum.value) if checksum else "",
    ]
    return xml_response(xmlio.document("CopyPartResult", children))


def _copy_range(header: str | None, size: int) -> tuple[int, int]:
    if header is None:
        return 0, size
    match = _COPY_RANGE.match(header.strip())
    if match is None or int(match[1]) > int(match[2]) or int(match[2]) >= size:
        raise AwsError(
            "InvalidArgument",
            f"Range specified is not valid for source object of size: {size}",
            ArgumentName="x-amz-copy-source-range",
        )
    return int(match[1]), int(match[2]) - int(match[1]) + 1
