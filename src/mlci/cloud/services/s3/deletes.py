"""DeleteObjects: up to 1,000 keys in one request, one transaction."""

from __future__ import annotations

from mlci.cloud.errors import AwsError
from mlci.cloud.http import Response
from mlci.cloud.services.s3 import xmlio
from mlci.cloud.services.s3.call import Call, S3State, xml_response
from mlci.cloud.services.s3.names import check_key
from mlci.cloud.services.s3.xmlio import MALFORMED, leaf, node

MAX_KEYS_PER_REQUEST = 1000


def delete_objects(s3: S3State, call: Call) -> Response:
    if call.header("content-md5") is None and call.payload.checksum is None:
        raise AwsError(
            "InvalidRequest",
            "Missing required header for this request: Content-MD5 or x-amz-checksum-*",
        )
    document = xmlio.parse(call.payload.document(), "Delete")
    quiet = (xmlio.child_text(document, "Quiet") or "").strip().lower() == "true"
    entries = document.findall("Object")
    if not entries or len(entries) > MAX_KEYS_PER_REQUEST:
        raise AwsError(
            "MalformedXML", f"{MALFORMED} (Delete needs 1 to {MAX_KEYS_PER_REQUEST} <Object>s)"
        )
    keys: list[str] = []
    errors: list[str] = []
    for entry in entries:
        key = xmlio.child_text(entry, "Key")
        if not key:
            raise AwsError("MalformedXML", f"{MALFORMED} (an <Object> has no <Key>)")
        problem = _key_problem(key, xmlio.child_text(entry, "VersionId"))
        if problem is None:
            keys.append(key)
        else:
            errors.append(_error(key, *problem))
    s3.discard_blobs(s3.objects.delete_objects(call.bucket, keys))
    deleted = [] if quiet else [node("Deleted", [leaf("Key", key)]) for key in keys]
    return xml_response(xmlio.document("DeleteResult", [*deleted, *errors]))


def _key_problem(key: str, version: str | None) -> tuple[str, str] | None:
    try:
        check_key(key)
    except AwsError as error:
        return error.code, error.message
    if version is not None and version != "null":
        return "NoSuchVersion", "The specified version does not exist (buckets are unversioned)"
    return None


def _error(key: str, code: str, message: str) -> str:
    return node("Error", [leaf("Key", key), leaf("Code", code), leaf("Message", message)])
