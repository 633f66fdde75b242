"""Which S3 operation a path-style request is: by level (service, bucket, object), method,
sub-resource query key and a few headers. Anything else is refused with NotImplemented
naming the operation."""

from __future__ import annotations

from collections.abc import Mapping

from mlci.cloud.errors import AwsError, not_implemented
from mlci.cloud.services.s3 import (
    buckets,
    catalog,
    copying,
    deletes,
    listing,
    multipart,
    objects,
    part_copy,
)
from mlci.cloud.services.s3 import multipart_lists as mp_lists
from mlci.cloud.services.s3.call import Handler

# Query keys that are arguments of the operations we implement: seeing only these, no
# sub-resource lookup is needed.
_ARGUMENTS = frozenset(
    {
        "prefix", "delimiter", "max-keys", "marker", "continuation-token", "start-after",
        "fetch-owner", "encoding-type", "list-type", "uploadId", "partNumber", "max-parts",
        "part-number-marker", "key-marker", "upload-id-marker", "max-uploads", "versionId",
        "x-id", "max-buckets", "bucket-region", "uploads", "delete", "location",
        "response-content-type", "response-content-language", "response-expires",
        "response-cache-control", "response-content-disposition", "response-content-encoding",
    }
)  # fmt: skip

_BUCKET_OPERATIONS: dict[tuple[str, str | None], tuple[str, Handler]] = {
    ("PUT", None): ("CreateBucket", buckets.create_bucket),
    ("HEAD", None): ("HeadBucket", buckets.head_bucket),
    ("DELETE", None): ("DeleteBucket", buckets.delete_bucket),
    ("GET", None): ("ListObjects", listing.list_objects),
    ("GET", "location"): ("GetBucketLocation", buckets.get_bucket_location),
    ("POST", "delete"): ("DeleteObjects", deletes.delete_objects),
    ("GET", "uploads"): ("ListMultipartUploads", mp_lists.list_multipart_uploads),
}
_OBJECT_OPERATIONS: dict[tuple[str, str | None], tuple[str, Handler]] = {
    ("PUT", None): ("PutObject", objects.put_object),
    ("GET", None): ("GetObject", objects.get_object),
    ("HEAD", None): ("HeadObject", objects.head_object),
    ("DELETE", None): ("DeleteObject", objects.delete_object),
    ("POST", "uploads"): ("CreateMultipartUpload", multipart.create_multipart_upload),
}
_UPLOAD_OPERATIONS: dict[str, tuple[str, Handler]] = {
    "PUT": ("UploadPart", multipart.upload_part),
    "POST": ("CompleteMultipartUpload", multipart.complete_multipart_upload),
    "DELETE": ("AbortMultipartUpload", multipart.abort_multipart_upload),
    "GET": ("ListParts", mp_lists.list_parts),
}


def resolve(
    method: str, bucket: str, key: str | None, query: Mapping[str, str], headers: Mapping[str, str]
) -> tuple[str, Handler]:
    """The operation's name and handler; AwsError if this cloud does not serve it."""
    if not bucket:
        if method == "GET":
            return "ListBuckets", buckets.list_buckets
        raise not_implemented("s3", catalog.operation_name(method, "service", query))
    level = "bucket" if key is None else "object"
    subresource = _subresource(query)
    if level == "bucket":
        if method == "GET" and subresource is None and query.get("list-type") == "2":
            return "ListObjectsV2", listing.list_objects_v2
        found = _BUCKET_OPERATIONS.get((method, subresource))
    else:
        _check_version(query)
        found = _object_operation(method, subresource, query, headers)
    if found is None:
        raise not_implemented("s3", catalog.operation_name(method, level, query))
    return found


def _object_operation(
    method: str, subresource: str | None, query: Mapping[str, str], headers: Mapping[str, str]
) -> tuple[str, Handler] | None:
    copy = "x-amz-copy-source" in headers
    if subresource is None and "uploadId" in query:
        if method == "PUT" and copy:
            return "UploadPartCopy", part_copy.upload_part_copy
        return _UPLOAD_OPERATIONS.get(method)
    if subresource is None and method == "PUT" and copy:
        return "CopyObject", copying.copy_object
    return _OBJECT_OPERATIONS.get((method, subresource))


def _subresource(query: Mapping[str, str]) -> str | None:
    """The query key that selects an operation, if any (`uploads`, `delete`, `tagging`...)."""
    if not query:
        return None
    for name in ("uploads", "delete", "location"):
        if name in query:
            return name
    unknown = [name for name in query if name not in _ARGUMENTS and not _is_presign(name)]
    if not unknown:
        return None
    selecting = catalog.subresources()
    return next((name for name in unknown if name in selecting), None)


def _is_presign(name: str) -> bool:
    return name.startswith(("X-Amz-", "x-amz-"))


def _check_version(query: Mapping[str, str]) -> None:
    version = query.get("versionId")
    if version is not None and version != "null":
        # Buckets here are never versioned, so no other version id can exist.
        raise AwsError("InvalidArgument", "Invalid version id specified", ArgumentName="versionId")
