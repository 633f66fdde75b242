"""S3's legacy query-string signatures (SigV2), which boto3 and the AWS CLI still use for
presigned S3 URLs (`generate_presigned_url`, `aws s3 presign`).

Only presigned GET/HEAD-style URLs are accepted this way; every other request must be SigV4.
As with SigV4, botocore's own signer computes the expected signature.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

from botocore.auth import HmacV1QueryAuth
from botocore.credentials import Credentials as BotoCredentials

from mlci.cloud.credentials import Credentials
from mlci.cloud.errors import AwsError
from mlci.cloud.http import Request


def is_presigned_v2(request: Request) -> bool:
    names = {pair.partition("=")[0] for pair in request.query_string.split("&")}
    return "AWSAccessKeyId" in names and "Signature" in names


class _Verifier(HmacV1QueryAuth):
    """The signer, with the expiry taken from the URL instead of from the clock."""

    def __init__(self, credentials: BotoCredentials, expires: str) -> None:
        super().__init__(credentials)
        self._url_expires = expires

    def _get_date(self) -> str:
        return self._url_expires


def verify_presigned_v2(request: Request, creds: Credentials, now: datetime | None = None) -> None:
    values = dict(parse_qsl(request.query_string, keep_blank_values=True))
    request.service, request.region = "s3", creds.region
    request.access_key = values.get("AWSAccessKeyId", "")
    try:
        expires = int(values["Expires"])
    except (KeyError, ValueError):
        raise AwsError("AccessDenied", "presigned URL has no valid Expires parameter") from None
    if not hmac.compare_digest(request.access_key, creds.access_key_id):
        raise AwsError(
            "InvalidAccessKeyId", "The AWS access key id you provided does not exist in this cloud"
        )
    if (now or datetime.now(UTC)).timestamp() > expires:
        raise AwsError("AccessDenied", "Request has expired")
    # Headers the client signed travel in the query string of a presigned URL.
    headers = {
        k: v
        for k, v in values.items()
        if k.lower().startswith("x-amz-") or k.lower() in ("content-md5", "content-type")
    }
    signer = _Verifier(BotoCredentials(creds.access_key_id, creds.secret_access_key), str(expires))
    split = urlsplit(f"http://host{request.raw_path}?{request.query_string}")
    expected = signer.get_signature(request.method, split, headers)
    if not hmac.compare_digest(expected, values.get("Signature", "")):
        raise AwsError(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        )
