"""SigV4 verification.

We recompute the signature over the request as received (the headers the client says it
signed, the raw path and query, the payload hash) and compare in constant time. The credential
scope also tells us which service the request is for, which is how one port serves them all.

botocore's own signer is the reference (`reference_signature`): S3 (whose canonical path
differs), presigned URLs and any request out of the ordinary go through it. The hot case,
Authorization-header signatures of every other service (InvokeEndpoint above all), is computed
by `sigv4`, which gives the same canonical request without building botocore's objects per
request and with the signing key cached.
"""

from __future__ import annotations

import hmac
import re
import time
from datetime import UTC, datetime, timedelta
from typing import NamedTuple
from urllib.parse import parse_qsl

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from mlci.cloud import sigv4
from mlci.cloud.auth_v2 import is_presigned_v2, verify_presigned_v2
from mlci.cloud.credentials import Credentials
from mlci.cloud.errors import AwsError
from mlci.cloud.http import Request

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW = timedelta(minutes=15)
_MAX_SKEW_SECONDS = MAX_SKEW.total_seconds()
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"

_HEADER_RE = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+),\s*"
    r"SignedHeaders=(?P<signed>[^,\s]+),\s*Signature=(?P<signature>[0-9a-f]+)\s*$"
)

# Per wire-protocol family: the error code AWS returns for each kind of auth failure.
_CODES = {
    "s3": {
        "missing": "AccessDenied",
        "malformed": "AuthorizationHeaderMalformed",
        "unknown_key": "InvalidAccessKeyId",
        "bad_signature": "SignatureDoesNotMatch",
        "skewed": "RequestTimeTooSkewed",
    },
    "json": {
        "missing": "MissingAuthenticationTokenException",
        "malformed": "IncompleteSignatureException",
        "unknown_key": "UnrecognizedClientException",
        "bad_signature": "InvalidSignatureException",
        "skewed": "InvalidSignatureException",
    },
    "query": {
        "missing": "MissingAuthenticationToken",
        "malformed": "IncompleteSignature",
        "unknown_key": "InvalidClientTokenId",
        "bad_signature": "SignatureDoesNotMatch",
        "skewed": "SignatureDoesNotMatch",
    },
}

_MESSAGES = {
    "missing": "Missing Authentication Token: requests must be signed with SigV4",
    "unknown_key": "The AWS access key id you provided does not exist in this cloud",
    "bad_signature": (
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS secret access key and signing method."
    ),
    "skewed": "The difference between the request time and the current time is too large",
}


class Scope(NamedTuple):
    access_key: str
    date: str
    region: str
    service: str


def protocol_family(service: str, request: Request) -> str:
    """Which error format a client of this request expects: s3 XML, JSON or query XML."""
    if service == "s3":
        return "s3"
    if service in ("sts", "iam"):
        return "query"
    if service:
        return "json"
    if "x-amz-target" in request.headers or request.raw_path.startswith("/endpoints/"):
        return "json"  # awsJson, or SageMaker runtime's REST-JSON: both read JSON errors
    content_type = request.header("content-type") or ""
    if "Action=" in request.query_string or content_type.startswith(
        "application/x-www-form-urlencoded"
    ):
        return "query"
    return "s3"


def _fail(family: str, kind: str, detail: str = "") -> AwsError:
    code = _CODES[family][kind]
    return AwsError(code, detail or _MESSAGES[kind])


def verify(request: Request, creds: Credentials, now: datetime | None = None) -> None:
    """Check the request's signature; fill in its service, region and access key.

    Raises AwsError with the code the client's service family expects.
    """
    if is_presigned_v2(request):
        verify_presigned_v2(request, creds, now)
        return
    fields = signed_fields(request)
    family = protocol_family(fields.scope.service if fields else "", request)
    if fields is None:
        raise _fail(family, "missing")
    scope = fields.scope
    request.service, request.region, request.access_key = (
        scope.service,
        scope.region,
        scope.access_key,
    )
    if not hmac.compare_digest(scope.access_key, creds.access_key_id):
        raise _fail(family, "unknown_key")
    if fields.presigned:
        _check_not_expired(fields, family, now)
    else:
        _check_clock_skew(fields, family, now)
    if not fields.presigned and scope.service != "s3":
        claimed = request.header("x-amz-content-sha256")
        if claimed is not None and claimed != request.body.sha256_hex:
            message = "X-Amz-Content-SHA256 does not match the body's hash"
            raise _fail(family, "bad_signature", message)
    if fields.timestamp[:8] != scope.date:
        raise _fail(
            family,
            "malformed" if family == "s3" else "bad_signature",
            f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date"
            f" from HTTP: {scope.date!r} != {fields.timestamp[:8]!r}",
        )
    expected = expected_signature(request, creds, fields)
    if not hmac.compare_digest(expected, fields.signature):
        raise _fail(family, "bad_signature")


def _signed_at(fields: SignedFields, family: str) -> datetime:
    try:
        return datetime.strptime(fields.timestamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise _fail(
            family, "malformed", f"X-Amz-Date is not a SigV4 timestamp: {fields.timestamp!r}"
        ) from None


def _check_not_expired(fields: SignedFields, family: str, now: datetime | None) -> None:
    signed_at = _signed_at(fields, family)
    if (now or datetime.now(UTC)) > signed_at + timedelta(seconds=fields.expires):
        raise AwsError("AccessDenied", "Request has expired")


def _check_clock_skew(fields: SignedFields, family: str, now: datetime | None) -> None:
    """In epoch seconds: parsing the usual timestamp by hand is far cheaper than strptime."""
    parsed = sigv4.parse_timestamp(fields.timestamp)
    # None: a looser spelling, or not a timestamp at all; strptime decides.
    signed_at = _signed_at(fields, family).timestamp() if parsed is None else parsed
    current = time.time() if now is None else now.timestamp()
    if abs(current - signed_at) > _MAX_SKEW_SECONDS:
        raise _fail(family, "skewed")


def signed_fields(request: Request) -> SignedFields | None:
    """The signature's parts, from the presigned query or the Authorization header.

    None if the request carries no SigV4 signature at all; AwsError if it is malformed.
    """
    if "X-Amz-Signature" in request.query_string:
        return _presigned_fields(request)
    return _header_fields(request)


class SignedFields(NamedTuple):
    scope: Scope
    signed_headers: list[str]
    signature: str
    timestamp: str
    payload_hash: str
    query_string: str  # the query that was signed (a presigned URL's without its signature)
    expires: int = 0
    presigned: bool = False


def _parse_scope(credential: str, family_hint: Request) -> Scope:
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        family = protocol_family("", family_hint)
        raise _fail(family, "malformed", f"credential scope is malformed: {'/'.join(parts[1:])!r}")
    return Scope(parts[0], parts[1], parts[2], parts[3])


def _header_fields(request: Request) -> SignedFields | None:
    header = request.header("authorization")
    if header is None:
        return None
    match = _HEADER_RE.match(header)
    if match is None:
        family = protocol_family("", request)
        if not header.startswith(ALGORITHM):
            raise _fail(
                family, "malformed", "only AWS4-HMAC-SHA256 (SigV4) signatures are accepted"
            )
        raise _fail(
            family, "malformed", "the Authorization header is not a complete SigV4 signature"
        )
    scope = _parse_scope(match["credential"], request)
    timestamp = request.header("x-amz-date") or ""
    # Only S3 takes the payload hash from the client (UNSIGNED-PAYLOAD, streaming chunks; its
    # service checks the body against it). Everywhere else the signature must cover the body
    # received (and `verify` refuses a claimed hash that is not the body's).
    claimed = request.header("x-amz-content-sha256") if scope.service == "s3" else None
    payload = claimed or request.body.sha256_hex
    return SignedFields(
        scope=scope,
        signed_headers=match["signed"].split(";"),
        signature=match["signature"],
        timestamp=timestamp,
        payload_hash=payload,
        query_string=request.query_string,
    )


def _presigned_fields(request: Request) -> SignedFields:
    pairs = parse_qsl(request.query_string, keep_blank_values=True)
    values = dict(pairs)
    family = protocol_family("", request)
    try:
        scope = _parse_scope(values["X-Amz-Credential"], request)
        expires = int(values.get("X-Amz-Expires", "604800"))
        signed = values["X-Amz-SignedHeaders"].split(";")
        signature = values["X-Amz-Signature"]
        timestamp = values["X-Amz-Date"]
    except (KeyError, ValueError) as exc:
        raise _fail(family, "malformed", f"presigned URL is incomplete: {exc}") from None
    kept = [
        pair for pair in request.query_string.split("&") if not pair.startswith("X-Amz-Signature=")
    ]
    return SignedFields(
        scope=scope,
        signed_headers=signed,
        signature=signature,
        timestamp=timestamp,
        payload_hash=UNSIGNED_PAYLOAD,
        query_string="&".join(kept),
        expires=expires,
        presigned=True,
    )


class _PayloadMixin:
    """Use the payload hash we already have instead of hashing the body again."""

    payload_hash: str

    def payload(self, request: AWSRequest) -> str:
        return self.payload_hash


class _Verifier(_PayloadMixin, SigV4Auth):
    pass


class _S3Verifier(_PayloadMixin, S3SigV4Auth):
    pass


def expected_signature(request: Request, creds: Credentials, fields: SignedFields) -> str:
    """The signature the request should carry: `sigv4`'s where it applies, else botocore's."""
    headers = _signed_header_values(request, fields)
    canonical = None
    if fields.scope.service != "s3" and not fields.presigned:
        canonical = sigv4.canonical_request(
            request.method, request.raw_path, fields.query_string, headers, fields.payload_hash
        )
    if canonical is None:
        return reference_signature(request, creds, fields)[1]
    scope = fields.scope
    return sigv4.signature(creds, fields.timestamp, scope.region, scope.service, canonical)


def _signed_header_values(request: Request, fields: SignedFields) -> dict[str, str]:
    headers = {}
    for name in fields.signed_headers:
        value = request.header(name)
        if value is None:
            raise _fail(
                protocol_family(fields.scope.service, request),
                "bad_signature",
                f"header {name!r} is listed as signed but was not sent",
            )
        headers[name] = value
    return headers


def reference_signature(
    request: Request, creds: Credentials, fields: SignedFields
) -> tuple[str, str]:
    """The canonical request and signature as botocore's signer computes them."""
    headers = _signed_header_values(request, fields)
    url = "http://" + headers.get("host", request.header("host") or "localhost") + request.raw_path
    if fields.query_string:
        url += "?" + fields.query_string
    aws_request = AWSRequest(method=request.method, url=url, headers=headers)
    # The canonical request must see the payload hash only through payload(), never as an
    # unsigned header (a header not in SignedHeaders must not count).
    aws_request.context["timestamp"] = fields.timestamp
    cls = _S3Verifier if fields.scope.service == "s3" else _Verifier
    signer = cls(
        BotoCredentials(creds.access_key_id, creds.secret_access_key),
        fields.scope.service,
        fields.scope.region,
    )
    signer.payload_hash = fields.payload_hash
    canonical = signer.canonical_request(aws_request)
    string_to_sign = signer.string_to_sign(aws_request, canonical)
    signature: str = signer.signature(string_to_sign, aws_request)
    return canonical, signature
