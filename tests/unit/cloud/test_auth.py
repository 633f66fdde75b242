"""SigV4 verification against requests signed by botocore itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from mlci.cloud import auth
from mlci.cloud.credentials import Credentials
from mlci.cloud.errors import AwsError
from mlci.cloud.http import Body, Request

CREDS = Credentials("AKIAEXAMPLEEXAMPLE00", "s3cr3t" * 6 + "abcd", "123456789012")


def signed(
    service: str = "sagemaker",
    body: bytes = b'{"a": 1}',
    path: str = "/",
    query: str = "",
    secret: str = CREDS.secret_access_key,
    key: str = CREDS.access_key_id,
    signer: type[SigV4Auth] = SigV4Auth,
) -> Request:
    url = f"http://127.0.0.1:4599{path}" + (f"?{query}" if query else "")
    aws = AWSRequest(
        method="POST", url=url, data=body, headers={"X-Amz-Target": "SageMaker.ListModels"}
    )
    sig = signer(BotoCredentials(key, secret), service, "eu-west-1")
    sig.add_auth(aws)
    prepared = aws.prepare()
    split = prepared.url.split("?", 1)
    request = Request(
        method="POST",
        raw_path=split[0].split("4599", 1)[1],
        query_string=split[1] if len(split) > 1 else "",
        headers={
            k.lower(): v.decode() if isinstance(v, bytes) else v
            for k, v in prepared.headers.items()
        },
    )
    request.headers["host"] = "127.0.0.1:4599"
    request.body = Body()
    request.body.write(body)
    return request


def test_valid_signature_is_accepted_and_names_the_service() -> None:
    request = signed()
    auth.verify(request, CREDS)
    assert (request.service, request.region, request.access_key) == (
        "sagemaker",
        "eu-west-1",
        CREDS.access_key_id,
    )


def test_s3_signature_with_encoded_path_and_query_is_accepted() -> None:
    request = signed(
        service="s3",
        path="/bucket/a%20b/%E2%9C%93",
        query="list-type=2&prefix=a%2Fb",
        signer=S3SigV4Auth,
    )
    auth.verify(request, CREDS)
    assert request.service == "s3"


def test_tampered_body_is_refused() -> None:
    request = signed()
    request.body = Body()
    request.body.write(b'{"a": 2}')
    with pytest.raises(AwsError, match="signature we calculated does not match") as info:
        auth.verify(request, CREDS)
    assert info.value.code == "InvalidSignatureException"


def test_an_unsigned_payload_hash_header_does_not_let_a_body_be_swapped() -> None:
    original = signed()
    request = signed()
    request.headers["x-amz-content-sha256"] = original.body.sha256_hex  # not signed
    request.body = Body()
    request.body.write(b'{"a": "swapped"}')
    with pytest.raises(AwsError, match="X-Amz-Content-SHA256 does not match") as info:
        auth.verify(request, CREDS)
    assert info.value.code == "InvalidSignatureException"
    del request.headers["x-amz-content-sha256"]  # without the claim: the signature itself
    with pytest.raises(AwsError, match="signature we calculated does not match"):
        auth.verify(request, CREDS)


def test_a_signed_payload_hash_that_is_not_the_bodys_is_refused() -> None:
    claimed = signed(body=b'{"a": "signed"}').body.sha256_hex
    aws = AWSRequest(
        method="POST",
        url="http://127.0.0.1:4599/",
        data=b'{"a": "swapped"}',
        headers={"X-Amz-Target": "SageMaker.ListModels", "X-Amz-Content-SHA256": claimed},
    )
    SigV4Auth(
        BotoCredentials(CREDS.access_key_id, CREDS.secret_access_key), "sagemaker", "eu-west-1"
    ).add_auth(aws)
    request = Request(
        method="POST",
        raw_path="/",
        query_string="",
        headers={k.lower(): v for k, v in aws.headers.items()} | {"host": "127.0.0.1:4599"},
    )
    assert "x-amz-content-sha256" in request.headers["authorization"]  # it is signed
    request.body = Body()
    request.body.write(b'{"a": "swapped"}')
    with pytest.raises(
        AwsError, match="X-Amz-Content-SHA256 does not match the body's hash"
    ) as info:
        auth.verify(request, CREDS)
    assert info.value.code == "InvalidSignatureException"


@pytest.mark.parametrize(
    ("service", "signer", "code"),
    [
        ("sagemaker", SigV4Auth, "InvalidSignatureException"),
        ("sts", SigV4Auth, "SignatureDoesNotMatch"),
        ("s3", S3SigV4Auth, "AuthorizationHeaderMalformed"),
    ],
)
def test_a_credential_scope_dated_another_day_is_refused(
    service: str, signer: type[SigV4Auth], code: str
) -> None:
    request = signed(service=service, signer=signer)
    stamp = request.headers["x-amz-date"]
    day = datetime.strptime(stamp[:8], "%Y%m%d") - timedelta(days=1)
    scope_date = stamp[:8]
    request.headers["authorization"] = request.headers["authorization"].replace(
        f"/{scope_date}/", f"/{day:%Y%m%d}/"
    )
    with pytest.raises(AwsError, match="Date in Credential scope does not match") as info:
        auth.verify(request, CREDS)
    assert info.value.code == code


def test_wrong_secret_gives_the_family_code() -> None:
    with pytest.raises(AwsError) as info:
        auth.verify(signed(service="sts", secret="wrong"), CREDS)
    assert (info.value.code, info.value.status) == ("SignatureDoesNotMatch", 403)


def test_unknown_key_is_refused_per_family() -> None:
    expected = {
        "s3": "InvalidAccessKeyId",
        "sagemaker": "UnrecognizedClientException",
        "sts": "InvalidClientTokenId",
    }
    for service, code in expected.items():
        with pytest.raises(AwsError, match="access key id you provided does not exist") as info:
            auth.verify(signed(service=service, key="AKIAUNKNOWNUNKNOWN00"), CREDS)
        assert info.value.code == code


def test_missing_signature_is_refused() -> None:
    request = signed()
    del request.headers["authorization"]
    with pytest.raises(AwsError, match="Missing Authentication Token") as info:
        auth.verify(request, CREDS)
    assert info.value.code == "MissingAuthenticationTokenException"


def test_malformed_authorization_header_is_refused() -> None:
    request = signed()
    request.headers["authorization"] = "AWS4-HMAC-SHA256 Credential=broken"
    with pytest.raises(AwsError, match="not a complete SigV4 signature"):
        auth.verify(request, CREDS)
    request.headers["authorization"] = "AWS AKIA:signature"
    with pytest.raises(AwsError, match="only AWS4-HMAC-SHA256"):
        auth.verify(request, CREDS)


def test_malformed_credential_scope_is_refused() -> None:
    request = signed()
    request.headers["authorization"] = request.headers["authorization"].replace(
        "/aws4_request", "/aws5_request"
    )
    with pytest.raises(AwsError, match="credential scope is malformed") as info:
        auth.verify(request, CREDS)
    assert info.value.code == "IncompleteSignatureException"


def test_signed_header_that_was_not_sent_is_refused() -> None:
    request = signed()
    del request.headers["x-amz-target"]
    with pytest.raises(AwsError, match="'x-amz-target' is listed as signed but was not sent"):
        auth.verify(request, CREDS)


def test_bad_timestamp_is_refused() -> None:
    request = signed()
    request.headers["x-amz-date"] = "yesterday"
    with pytest.raises(AwsError, match="not a SigV4 timestamp"):
        auth.verify(request, CREDS)


def test_clock_skew_beyond_fifteen_minutes_is_refused() -> None:
    request = signed(service="s3", signer=S3SigV4Auth)
    later = datetime.now(UTC) + timedelta(minutes=16)
    with pytest.raises(AwsError, match="too large") as info:
        auth.verify(request, CREDS, now=later)
    assert info.value.code == "RequestTimeTooSkewed"
    auth.verify(request, CREDS, now=datetime.now(UTC) + timedelta(minutes=14))


def test_presigned_url_is_accepted_until_it_expires() -> None:
    url = "http://127.0.0.1:4599/bucket/key.txt"
    aws = AWSRequest(method="GET", url=url)
    S3SigV4QueryAuth(
        BotoCredentials(CREDS.access_key_id, CREDS.secret_access_key), "s3", "us-east-1", expires=60
    ).add_auth(aws)
    path, query = aws.url.split("4599", 1)[1].split("?", 1)
    request = Request("GET", path, query, {"host": "127.0.0.1:4599"})
    auth.verify(request, CREDS)
    with pytest.raises(AwsError, match="expired"):
        auth.verify(request, CREDS, now=datetime.now(UTC) + timedelta(seconds=120))
    tampered = Request("GET", path.replace("key", "other"), query, {"host": "127.0.0.1:4599"})
    with pytest.raises(AwsError, match="does not match"):
        auth.verify(tampered, CREDS)
