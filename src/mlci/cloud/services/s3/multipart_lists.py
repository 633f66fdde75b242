"""ListParts and ListMultipartUploads."""

from __future__ import annotations

from urllib.parse import quote

from mlci.cloud.errors import AwsError
from mlci.cloud.http import Response
from mlci.cloud.services.s3 import metadata, walk, xmlio
from mlci.cloud.services.s3.call import Call, S3State, owner_xml, xml_response
from mlci.cloud.services.s3.records import Upload
from mlci.cloud.services.s3.xmlio import leaf, node

MAX_PAGE = 1000
# Upload ids are hex; "~" sorts after all of them ("every upload of the marker key").
_AFTER_ALL_IDS = "~"


def list_parts(s3: S3State, call: Call) -> Response:
    upload = s3.uploads.get(call.bucket, call.object_key, call.query["uploadId"])
    max_parts = _page_size(call.query.get("max-parts"), "max-parts")
    marker = _page_size(call.query.get("part-number-marker") or "0", "part-number-marker", 0)
    parts = s3.uploads.parts(upload.upload_id, marker, max_parts + 1)
    page, truncated = parts[:max_parts], len(parts) > max_parts
    algorithm = upload.checksum_algorithm
    entries = (
        node(
            "Part",
            [
                leaf("PartNumber", part.number),
                leaf("LastModified", metadata.iso_date(part.last_modified)),
                leaf("ETag", f'"{part.etag}"'),
                leaf("Size", part.size),
                leaf(f"Checksum{algorithm}", part.checksum_value) if algorithm else "",
            ],
        )
        for part in page
    )
    owner = owner_xml(call)
    children = [
        leaf("Bucket", call.bucket),
        leaf("Key", upload.key),
        leaf("UploadId", upload.upload_id),
        leaf("PartNumberMarker", marker),
        leaf("NextPartNumberMarker", page[-1].number if page else None),
        leaf("MaxParts", max_parts),
        leaf("IsTruncated", truncated),
        *entries,
        owner.replace("Owner>", "Initiator>"),
        owner,
        leaf("StorageClass", metadata.storage_class(list(upload.headers))),
        leaf("ChecksumAlgorithm", algorithm),
        leaf("ChecksumType", upload.checksum_type),
    ]
    return xml_response(xmlio.document("ListPartsResult", children))


def list_multipart_uploads(s3: S3State, call: Call) -> Response:
    q = call.query
    s3.objects.require_bucket(call.bucket)
    prefix, delimiter = q.get("prefix", ""), q.get("delimiter") or None
    key_marker, id_marker = q.get("key-marker", ""), q.get("upload-id-marker", "")
    max_uploads = _page_size(q.get("max-uploads"), "max-uploads")
    url = q.get("encoding-type") == "url"
    uploads, prefixes, truncated = _upload_page(
        s3, call.bucket, prefix, delimiter, key_marker, id_marker, max_uploads
    )
    next_key = next_id = None
    if truncated:
        last_upload = uploads[-1] if uploads else None
        last_prefix = prefixes[-1].decode() if prefixes else None
        if last_upload is not None and (last_prefix is None or last_upload.key > last_prefix):
            next_key, next_id = last_upload.key, last_upload.upload_id
        else:
            next_key = last_prefix
    owner = owner_xml(call)
    children = [
        leaf("Bucket", call.bucket),
        leaf("KeyMarker", _out(key_marker, url)),
        leaf("UploadIdMarker", id_marker),
        leaf("NextKeyMarker", _out(next_key, url)),
        leaf("NextUploadIdMarker", next_id),
        leaf("Prefix", _out(prefix, url)),
        leaf("Delimiter", _out(delimiter, url)),
        leaf("MaxUploads", max_uploads),
        leaf("EncodingType", "url" if url else None),
        leaf("IsTruncated", truncated),
        *(_upload_xml(upload, owner, url) for upload in uploads),
        *(node("CommonPrefixes", [leaf("Prefix", _out(p.decode(), url))]) for p in prefixes),
    ]
    return xml_response(xmlio.document("ListMultipartUploadsResult", children))


def _upload_page(
    s3: S3State,
    bucket: str,
    prefix: str,
    delimiter: str | None,
    key_marker: str,
    id_marker: str,
    limit: int,
) -> tuple[list[Upload], list[bytes], bool]:
    prefix_b = prefix.encode("utf-8")
    delim_b = delimiter.encode("utf-8") if delimiter else None
    lower, after_id = prefix_b, ""
    marker_b = key_marker.encode("utf-8")
    if key_marker and marker_b >= prefix_b:
        lower = walk.resume_after(marker_b, prefix_b, delim_b)
        # Without an upload-id-marker, every upload of the marker key is already listed.
        after_id = (id_marker or _AFTER_ALL_IDS) if lower == marker_b else ""
    uploads: list[Upload] = []
    prefixes: list[bytes] = []
    upper = prefix_b + walk.AFTER_ALL
    while True:
        batch = s3.uploads.list_uploads(bucket, lower, after_id, upper, limit + 1)
        if not batch:
            return uploads, prefixes, False
        for upload in batch:
            if len(uploads) + len(prefixes) == limit:
                return uploads, prefixes, True
            key = upload.key.encode("utf-8")
            rolled = walk.common_prefix(key, prefix_b, delim_b)
            if rolled is not None:
                prefixes.append(rolled)
                lower, after_id = rolled + walk.AFTER_ALL, ""
                break
            uploads.append(upload)
            lower, after_id = key, upload.upload_id
        else:
            if len(batch) <= limit:
                return uploads, prefixes, False


def _upload_xml(upload: Upload, owner: str, url: bool) -> str:
    return node(
        "Upload",
        [
            leaf("Key", _out(upload.key, url)),
            leaf("UploadId", upload.upload_id),
            owner.replace("Owner>", "Initiator>"),
            owner,
            leaf("StorageClass", metadata.storage_class(list(upload.headers))),
            leaf("Initiated", metadata.iso_date(upload.initiated)),
            leaf("ChecksumAlgorithm", upload.checksum_algorithm),
            leaf("ChecksumType", upload.checksum_type),
        ],
    )


def _page_size(value: str | None, name: str, minimum: int = 1) -> int:
    if value is None:
        return MAX_PAGE
    if not value.isdigit() or int(value) < minimum:
        raise AwsError(
            "InvalidArgument",
            f"Argument {name} must be an integer of at least {minimum}",
            ArgumentName=name,
        )
    return min(int(value), MAX_PAGE) if name.startswith("max") else int(value)


def _out(value: str | None, url: bool) -> str | None:
    if value is None or not url:
        return value
    return quote(value, safe="/")
