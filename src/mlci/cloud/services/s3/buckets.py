"""CreateBucket, HeadBucket, ListBuckets, DeleteBucket and GetBucketLocation."""

from __future__ import annotations

import re
import time

from mlci.cloud.errors import AwsError, not_implemented
from mlci.cloud.http import Response
from mlci.cloud.services.s3 import xmlio
from mlci.cloud.services.s3.call import Call, S3State, owner_xml, xml_response
from mlci.cloud.services.s3.metadata import iso_date
from mlci.cloud.services.s3.names import check_bucket_name
from mlci.cloud.services.s3.records import Bucket
from mlci.cloud.services.s3.xmlio import leaf, node

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
LEGACY_LOCATIONS = {"EU": "eu-west-1"}
MAX_BUCKETS_PAGE = 10_000


def create_bucket(s3: S3State, call: Call) -> Response:
    check_bucket_name(call.bucket)
    if (call.header("x-amz-bucket-object-lock-enabled") or "").lower() == "true":
        raise not_implemented("s3", "CreateBucket with object lock enabled")
    region = _location_constraint(call) or call.request.region or call.ctx.region
    s3.objects.create_bucket(Bucket(call.bucket, region, time.time()))
    return Response(200, [("location", f"/{call.bucket}")])


def head_bucket(s3: S3State, call: Call) -> Response:
    bucket = s3.objects.require_bucket(call.bucket)
    return Response(200, [("x-amz-bucket-region", bucket.region)])


def delete_bucket(s3: S3State, call: Call) -> Response:
    s3.discard_blobs(s3.objects.delete_bucket(call.bucket))
    return Response(204)


def get_bucket_location(s3: S3State, call: Call) -> Response:
    bucket = s3.objects.require_bucket(call.bucket)
    # us-east-1 is reported as an empty constraint, as S3 does.
    value = "" if bucket.region == "us-east-1" else xmlio.text(bucket.region)
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<LocationConstraint xmlns="{xmlio.S3_NAMESPACE}">{value}</LocationConstraint>'
    )
    return xml_response(body.encode())


def list_buckets(s3: S3State, call: Call) -> Response:
    prefix = call.query.get("prefix", "")
    after = call.query.get("continuation-token", "")
    limit = _max_buckets(call.query.get("max-buckets"))
    region = call.query.get("bucket-region")
    found = [b for b in s3.objects.buckets(prefix, after, limit + 1) if region in (None, b.region)]
    page, more = found[:limit], len(found) > limit
    entries = (
        node(
            "Bucket",
            [
                leaf("Name", b.name),
                leaf("CreationDate", iso_date(b.created)),
                leaf("BucketRegion", b.region),
            ],
        )
        for b in page
    )
    children = [
        node("Buckets", entries),
        owner_xml(call),
        leaf("ContinuationToken", page[-1].name if more else None),
        leaf("Prefix", prefix or None),
    ]
    return xml_response(xmlio.document("ListAllMyBucketsResult", children))


def _max_buckets(value: str | None) -> int:
    if value is None:
        return MAX_BUCKETS_PAGE
    if not value.isdigit() or not 1 <= int(value) <= MAX_BUCKETS_PAGE:
        raise AwsError(
            "InvalidArgument", f"max-buckets must be an integer from 1 to {MAX_BUCKETS_PAGE}"
        )
    return int(value)


def _location_constraint(call: Call) -> str | None:
    body = call.payload.document()
    if not body.strip():
        return None
    config = xmlio.parse(body, "CreateBucketConfiguration")
    location = xmlio.child_text(config, "LocationConstraint")
    if location is None or location == "":
        return None
    location = LEGACY_LOCATIONS.get(location, location)
    if not _REGION.match(location):
        raise AwsError(
            "InvalidLocationConstraint",
            f"The specified location-constraint is not valid: {location[:64]!r}",
        )
    return location
