"""CreateMultipartUpload, UploadPart, CompleteMultipartUpload and AbortMultipartUpload.

Each part is a durable blob of its own. Completion concatenates the chosen parts into one new
blob, then commits the object row and forgets the upload in one transaction; the part blobs
are removed after that commit. The ETag is S3's: md5 of the parts' md5 digests, then -N.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from mlci.cloud.errors import AwsError
from mlci.cloud.http import Response
from mlci.cloud.services.s3 import integrity, metadata, xmlio
from mlci.cloud.services.s3.blobio import file_chunks, store_payload
from mlci.cloud.services.s3.call import Call, S3State, xml_response
from mlci.cloud.services.s3.integrity import COMPOSITE, FULL_OBJECT, Checksum
from mlci.cloud.services.s3.records import ObjectRecord, Part, Upload
from mlci.cloud.services.s3.xmlio import MALFORMED, leaf

MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PART_NUMBER = 10_000
_FULL_OBJECT_ALGORITHMS = ("CRC32", "CRC32C", "CRC64NVME")


def create_multipart_upload(s3: S3State, call: Call) -> Response:
    pairs = metadata.stored_headers(call.request.headers, "CreateMultipartUpload")
    metadata.check_metadata_size(pairs)
    algorithm, checksum_type = _checksum_settings(call)
    upload = Upload(
        # ids start with the time, so ordering by id is ordering by initiation
        upload_id=f"{time.time_ns():016x}{secrets.token_hex(12)}",
        bucket=call.bucket,
        key=call.object_key,
        initiated=time.time(),
        headers=tuple(pairs),
        checksum_algorithm=algorithm,
        checksum_type=checksum_type,
    )
    s3.uploads.create(upload)
    headers = []
    if algorithm is not None and checksum_type is not None:
        headers = [("x-amz-checksum-algorithm", algorithm), ("x-amz-checksum-type", checksum_type)]
    children = [
        leaf("Bucket", call.bucket),
        leaf("Key", upload.key),
        leaf("UploadId", upload.upload_id),
    ]
    response = xml_response(xmlio.document("InitiateMultipartUploadResult", children))
    response.headers += headers
    return response


def upload_part(s3: S3State, call: Call) -> Response:
    upload = s3.uploads.get(call.bucket, call.object_key, call.query["uploadId"])
    number = part_number(call.query.get("partNumber"))
    claim = call.payload.checksum
    if claim is not None and upload.checksum_algorithm not in (None, claim.algorithm):
        raise AwsError(
            "InvalidRequest",
            f"Checksum Type mismatch occurred, expected checksum Type: "
            f"{upload.checksum_algorithm.lower()}, actual checksum Type: {claim.algorithm.lower()}",
        )
    stored = store_payload(s3, call)
    value = claim.value if claim is not None else None
    if value is None and upload.checksum_algorithm is not None:
        value = integrity.compute(
            upload.checksum_algorithm, file_chunks(s3.blobs.path(stored.blob_id))
        )
    part = Part(number, stored.blob_id, stored.size, stored.md5_hex, time.time(), value)
    s3.blobs.commit(stored.blob_id, lambda: s3.uploads.put_part(upload.upload_id, part))
    headers = [("etag", f'"{part.etag}"')]
    algorithm = upload.checksum_algorithm or (claim.algorithm if claim else None)
    if value is not None and algorithm is not None:
        headers.append((integrity.header_name(algorithm), value))
    return Response(200, headers)


def complete_multipart_upload(s3: S3State, call: Call) -> Response:
    upload = s3.uploads.get(call.bucket, call.object_key, call.query["uploadId"])
    requested = _requested_parts(
        xmlio.parse(call.payload.document(verify=False), "CompleteMultipartUpload")
    )
    chosen = _chosen_parts(s3, upload, requested)
    blob_id, size = s3.blobs.put_concatenation(part.blob_id for part in chosen)
    try:
        record = ObjectRecord(
            key=upload.key,
            blob_id=blob_id,
            size=size,
            etag=multipart_etag([part.etag for part in chosen]),
            last_modified=time.time(),
            headers=upload.headers,
            checksum=_object_checksum(s3, call, upload, chosen, blob_id),
            part_sizes=tuple(part.size for part in chosen),
        )
        unused = s3.uploads.complete(upload, record, {p.number: p.blob_id for p in chosen})
    except BaseException:
        s3.blobs.delete(blob_id)
        raise
    s3.discard_blobs(unused)
    checksum = record.checksum
    host = call.header("host") or "localhost"
    children = [
        leaf("Location", f"http://{host}/{call.bucket}/{upload.key}"),
        leaf("Bucket", call.bucket),
        leaf("Key", upload.key),
        leaf("ETag", record.quoted_etag),
        leaf(checksum.element, checksum.value) if checksum else "",
        leaf("ChecksumType", checksum.type) if checksum else "",
    ]
    return xml_response(xmlio.document("CompleteMultipartUploadResult", children))


def abort_multipart_upload(s3: S3State, call: Call) -> Response:
    upload = s3.uploads.get(call.bucket, call.object_key, call.query["uploadId"])
    s3.discard_blobs(s3.uploads.abort(upload))
    return Response(204)


def multipart_etag(part_etags: list[str]) -> str:
    digests = b"".join(bytes.fromhex(etag) for etag in part_etags)
    return f"{hashlib.md5(digests).hexdigest()}-{len(part_etags)}"


def part_number(value: str | None) -> int:
    if value is None or not value.isdigit() or not 1 <= int(value) <= MAX_PART_NUMBER:
        raise AwsError(
            "InvalidArgument",
            f"Part number must be an integer between 1 and {MAX_PART_NUMBER}, inclusive",
            ArgumentName="partNumber",
        )
    return int(value)


@dataclass(frozen=True)
class _Requested:
    number: int
    etag: str
    checksum: str | None


def _requested_parts(document: ET.Element) -> list[_Requested]:
    requested = []
    for element in document.findall("Part"):
        number, etag = xmlio.child_text(element, "PartNumber"), xmlio.child_text(element, "ETag")
        if number is None or etag is None or not number.strip().isdigit():
            raise AwsError("MalformedXML", f"{MALFORMED} (each <Part> needs PartNumber and ETag)")
        checksums = [c.text for c in element if c.tag.startswith("Checksum") and c.text]
        requested.append(
            _Requested(int(number), etag.strip().strip('"'), checksums[0] if checksums else None)
        )
    if not requested:
        raise AwsError("MalformedXML", f"{MALFORMED} (you must specify at least one part)")
    return requested


def _chosen_parts(s3: S3State, upload: Upload, requested: list[_Requested]) -> list[Part]:
    stored = {part.number: part for part in s3.uploads.parts(upload.upload_id)}
    chosen: list[Part] = []
    for index, want in enumerate(requested):
        if index and want.number <= requested[index - 1].number:
            raise AwsError(
                "InvalidPartOrder",
                "The list of parts was not in ascending order. Parts must be ordered by part "
                "number.",
            )
        part = stored.get(want.number)
        if part is None or part.etag != want.etag or _checksum_differs(want, part):
            raise AwsError(
                "InvalidPart",
                "One or more of the specified parts could not be found. The part may not have "
                "been uploaded, or the specified entity tag may not match the part's entity tag.",
                PartNumber=str(want.number),
                ETag=want.etag,
            )
        chosen.append(part)
    for part in chosen[:-1]:
        if part.size < MIN_PART_SIZE:
            raise AwsError(
                "EntityTooSmall",
                "Your proposed upload is smaller than the minimum allowed object size.",
                ProposedSize=str(part.size),
                MinSizeAllowed=str(MIN_PART_SIZE),
                PartNumber=str(part.number),
                ETag=part.etag,
            )
    return chosen


def _checksum_differs(want: _Requested, part: Part) -> bool:
    return want.checksum is not None and part.checksum_value not in (None, want.checksum)


def _checksum_settings(call: Call) -> tuple[str | None, str | None]:
    requested = call.header("x-amz-checksum-algorithm")
    requested_type = call.header("x-amz-checksum-type")
    if requested is None:
        if requested_type is not None:
            raise AwsError("InvalidRequest", "x-amz-checksum-type needs x-amz-checksum-algorithm")
        return None, None
    algorithm = requested.upper()
    if algorithm not in integrity.DIGEST_SIZES:
        raise AwsError("InvalidRequest", f"Checksum algorithm {requested[:32]!r} is not valid")
    default = FULL_OBJECT if algorithm == "CRC64NVME" else COMPOSITE
    checksum_type = (requested_type or default).upper()
    if (
        checksum_type not in (COMPOSITE, FULL_OBJECT)
        or (checksum_type == FULL_OBJECT and algorithm not in _FULL_OBJECT_ALGORITHMS)
        or (checksum_type == COMPOSITE and algorithm == "CRC64NVME")
    ):
        raise AwsError(
            "InvalidRequest",
            f"The {checksum_type} checksum type cannot be used with the {algorithm} algorithm",
        )
    return algorithm, checksum_type


def _object_checksum(
    s3: S3State, call: Call, upload: Upload, parts: list[Part], blob_id: str
) -> Checksum | None:
    algorithm = upload.checksum_algorithm
    if algorithm is None:
        return None
    if upload.checksum_type == FULL_OBJECT:
        value = integrity.compute(algorithm, file_chunks(s3.blobs.path(blob_id)))
        claim = call.payload.checksum
        if claim is not None and value is not None and claim.value != value:
            raise AwsError(
                "BadDigest", f"The {algorithm} you specified did not match the calculated checksum"
            )
        if value is None:
            value = claim.value if claim is not None else None
        return Checksum(algorithm, value, FULL_OBJECT) if value is not None else None
    # COMPOSITE: the checksum of the parts' checksums, suffixed with the part count.
    if any(part.checksum_value is None for part in parts):
        return None
    digests = b"".join(base64.b64decode(part.checksum_value or "") for part in parts)
    value = integrity.compute(algorithm, [digests])
    if value is None:
        return None
    return Checksum(algorithm, f"{value}-{len(parts)}", COMPOSITE)
