"""The lean SigV4 verifier (`sigv4`) against botocore: the same canonical request, the same verdict.

Requests are signed client side by botocore's own SigV4Auth, as boto3 signs them, then handed
to the server as its HTTP layer delivers them: header values without the whitespace around
them (HTTP parsers strip it), repeated headers joined by commas (the app's own
`_request_from_scope`). The server-side reference is `auth.reference_signature`, botocore's
signer over the received request: the code path every request took before `sigv4` existed.
"""

from __future__ import annotations

import hashlib
import string
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from unittest import mock
from urllib.parse import quote, urlsplit

import botocore.auth
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials
from botocore.utils import normalize_url_path, percent_encode
from hypothesis import given, settings
from hypothesis import strategies as st

from mlci.cloud import auth, sigv4
from mlci.cloud.app import _request_from_scope
from mlci.cloud.credentials import Credentials
from mlci.cloud.errors import AwsError
from mlci.cloud.http import Body, Request

HOST = "127.0.0.1:4599"
CREDS = Credentials(
    "AKIAEXAMPLEEXAMPLE00", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "123456789012"
)
SIGV4_TIMESTAMP = "%Y%m%dT%H%M%SZ"
QUERY_PROTOCOL = {"sts", "iam"}  # the services whose clients read query-XML errors


@dataclass(frozen=True)
class Signed:
    request: Request
    when: datetime
    service: str
    region: str


def sign(
    method: str,
    path: str,
    query: str,
    headers: list[tuple[str, str]],
    body: bytes,
    service: str,
    region: str,
    when: datetime,
) -> Signed:
    url = f"http://{HOST}{path}" + (f"?{query}" if query else "")
    client_request = AWSRequest(method=method, url=url, data=body)
    for name, value in headers:
        client_request.headers[name] = value  # HTTPHeaders keeps repeats, as a wire would
    # botocore signs at its own clock's time; set that clock to the drawn date.
    naive_utc = when.replace(tzinfo=None)
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=naive_utc):
        SigV4Auth(
            BotoCredentials(CREDS.access_key_id, CREDS.secret_access_key), service, region
        ).add_auth(client_request)
    raw_path, _, query_string = client_request.url[len(f"http://{HOST}") :].partition("?")
    wire_headers = [(b"host", HOST.encode())] + [
        (name.encode("latin-1"), value.strip(" \t").encode("latin-1"))
        for name, value in client_request.headers.items()
    ]
    request = _request_from_scope(
        {
            "method": method,
            "path": raw_path,
            "raw_path": raw_path.encode("latin-1"),
            "query_string": query_string.encode("latin-1"),
            "headers": wire_headers,
        }
    )
    request.body = Body()
    request.body.write(body)
    return Signed(request, when, service, region)


def encoded(text: str) -> str:
    """A label the way botocore's serializers put it in a URL (spaces, unicode, '/' encoded)."""
    return str(percent_encode(text, safe="~"))


RAW_PATH_CHARS = string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@"
SEGMENTS = st.one_of(
    st.sampled_from(["", ".", "..", "%2F", "a%2Fb", "%20", "%25", "~x", "endpoints", "a b"]).map(
        lambda s: s.replace(" ", "%20")
    ),
    st.text(alphabet=RAW_PATH_CHARS, max_size=8),
    st.text(max_size=6).map(encoded),
)
PATHS = st.builds(
    lambda segments, trailing: "/" + "/".join(segments) + ("/" if trailing and segments else ""),
    st.lists(SEGMENTS, max_size=5),
    st.booleans(),
)
RAW_QUERY_CHARS = string.ascii_letters + string.digits + "-._~!$'()*+,;:@/?"
QUERY_WORDS = st.one_of(
    st.sampled_from(["a", "A", "list-type", "prefix", "x%2Fy", ""]),
    st.text(alphabet=RAW_QUERY_CHARS, max_size=6),
    st.text(max_size=6).map(encoded),
)
QUERY_PAIRS = st.tuples(QUERY_WORDS, st.one_of(st.none(), QUERY_WORDS))
QUERIES = st.lists(QUERY_PAIRS, max_size=5).map(
    lambda pairs: "&".join(key if value is None else f"{key}={value}" for key, value in pairs)
)
HEADER_NAMES = st.sampled_from(
    [
        "X-Amz-Target",
        "Content-Type",
        "x-amz-meta-color",
        "X-Custom-Header",
        "x-custom-header",
        "Accept",
        "amz-sdk-request",
        "User-Agent",  # never signed by botocore, sent all the same
        "X-Amzn-Trace-Id",
    ]
)
HEADER_VALUES = st.builds(
    lambda lead, core, trail: lead + core + trail,
    st.sampled_from(["", " ", "  ", "\t "]),
    st.text(alphabet=string.ascii_letters + string.digits + " \t,;=/:.-_", max_size=12),
    st.sampled_from(["", " ", "   ", " \t"]),
)


@st.composite
def signed_requests(draw: st.DrawFn) -> Signed:
    body = draw(st.binary(max_size=64))
    headers = draw(st.lists(st.tuples(HEADER_NAMES, HEADER_VALUES), max_size=5))
    if draw(st.booleans()):
        headers.append(("X-Amz-Content-SHA256", hashlib.sha256(body).hexdigest()))
    when = draw(st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31)))
    return sign(
        method=draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "post"])),
        path=draw(PATHS),
        query=draw(QUERIES),
        headers=headers,
        body=body,
        service=draw(
            st.sampled_from(["sagemaker", "logs", "sts", "iam", "monitoring", "execute-api"])
        ),
        region=draw(st.sampled_from(["us-east-1", "eu-west-1", "ap-southeast-2", "cn-north-1"])),
        when=when.replace(microsecond=0, tzinfo=UTC),
    )


def lean_canonical(request: Request) -> str | None:
    fields = auth.signed_fields(request)
    assert fields is not None
    headers = {name: request.headers[name] for name in fields.signed_headers}
    return sigv4.canonical_request(
        request.method, request.raw_path, fields.query_string, headers, fields.payload_hash
    )


def signature_code(service: str) -> str:
    return "SignatureDoesNotMatch" if service in QUERY_PROTOCOL else "InvalidSignatureException"


def fresh(service: str, region: str = "us-east-1", when: datetime | None = None) -> Signed:
    """A small JSON-protocol request, signed now (or `when`)."""
    moment = (when or datetime.now(UTC)).replace(microsecond=0)
    headers = [("X-Amz-Target", "Logs_20140328.PutLogEvents")]
    return sign("POST", "/", "", headers, b"{}", service, region, moment)


@settings(max_examples=400, deadline=None)
@given(signed_requests())
def test_every_request_botocore_signs_is_accepted_by_the_lean_path(signed: Signed) -> None:
    request = signed.request
    fields = auth.signed_fields(request)
    assert fields is not None
    reference_canonical, reference_sig = auth.reference_signature(request, CREDS, fields)
    assert lean_canonical(request) == reference_canonical  # never None: the hot path ran
    assert auth.expected_signature(request, CREDS, fields) == reference_sig == fields.signature
    auth.verify(request, CREDS, now=signed.when)
    assert (request.service, request.region) == (signed.service, signed.region)


def _insert(text: str, position: int, char: str = "Z") -> str:
    position %= len(text) + 1
    return text[:position] + char + text[position:]


def flip_header_value(signed: Signed, data: st.DataObject) -> None:
    fields = auth.signed_fields(signed.request)
    assert fields is not None
    names = [n for n in fields.signed_headers if n != "x-amz-date"]  # the date has its own flip
    name = data.draw(st.sampled_from(names))
    value = signed.request.headers[name]
    signed.request.headers[name] = _insert(value, data.draw(st.integers(0, 99)))


def flip_path(signed: Signed, data: st.DataObject) -> None:
    # At the end: a character anywhere else may sit in a segment that ".." removes.
    signed.request.raw_path += data.draw(st.sampled_from(["Z", "%41", "~"]))


def flip_query(signed: Signed, data: st.DataObject) -> None:
    pieces = signed.request.query_string.split("&") if signed.request.query_string else []
    if not pieces:
        signed.request.query_string = "Z=1"
        return
    index = data.draw(st.integers(0, len(pieces) - 1))
    pieces[index] += "Z"
    signed.request.query_string = "&".join(pieces)


def flip_payload(signed: Signed, data: st.DataObject) -> None:
    if "x-amz-content-sha256" in signed.request.headers:
        signed.request.headers["x-amz-content-sha256"] = hashlib.sha256(b"other").hexdigest()
        return
    body = signed.request.body.read()
    signed.request.body = Body()
    signed.request.body.write(body + b"!")


def flip_date(signed: Signed, data: st.DataObject) -> None:
    # Within the clock-skew limit, so that only the signature can object.
    shift = timedelta(seconds=data.draw(st.sampled_from([-1, 1, 899])))
    signed.request.headers["x-amz-date"] = (signed.when + shift).strftime(SIGV4_TIMESTAMP)


def flip_region(signed: Signed, data: st.DataObject) -> None:
    header = signed.request.headers["authorization"]
    other = data.draw(st.sampled_from(["us-west-2", "eu-central-1", signed.region + "x"]))
    signed.request.headers["authorization"] = header.replace(f"/{signed.region}/", f"/{other}/", 1)


FLIPS = [flip_header_value, flip_path, flip_query, flip_payload, flip_date, flip_region]


@settings(max_examples=400, deadline=None)
@given(signed_requests(), st.sampled_from(FLIPS), st.data())
def test_flipping_any_signed_element_is_refused_with_the_same_code(
    signed: Signed, flip: object, data: st.DataObject
) -> None:
    assert callable(flip)
    flip(signed, data)
    request = signed.request
    fields = auth.signed_fields(request)
    assert fields is not None
    reference_canonical, reference_sig = auth.reference_signature(request, CREDS, fields)
    assert reference_sig != fields.signature  # botocore server side refuses it too
    lean = lean_canonical(request)
    assert lean is None or lean == reference_canonical
    # "The request signature we calculated does not match", or for a flipped date, "Date in
    # Credential scope does not match": the same code either way
    with pytest.raises(AwsError, match="does not match") as info:
        auth.verify(request, CREDS, now=signed.when)
    assert info.value.code == signature_code(signed.service)
    assert CREDS.secret_access_key not in f"{info.value} {info.value!r}"


AWKWARD_CHARS = st.sampled_from([*"Z/.%# \té?&=;Aa", "%2F", "//", "/./", "/../"])


def damage(request: Request, data: st.DataObject) -> None:
    """One change of the kind a client that is not an SDK, or a proxy, might make."""
    kind = data.draw(
        st.sampled_from(["path", "query", "host", "signed list", "value", "method", "scope date"])
    )
    if kind == "path":
        position = data.draw(st.integers(0, 99))
        request.raw_path = _insert(request.raw_path, max(position, 1), data.draw(AWKWARD_CHARS))
    elif kind == "query":
        request.query_string = _insert(
            request.query_string, data.draw(st.integers(0, 99)), data.draw(AWKWARD_CHARS)
        )
    elif kind == "host":
        hosts = ["[::1]:4599", "a/b", "a?b", "a#b", "localhost", "127.0.0.1:80", "", "Caps.Host"]
        request.headers["host"] = data.draw(st.sampled_from(hosts))
    elif kind == "signed list":
        _damage_signed_list(request, data)
    elif kind == "value":
        name = data.draw(st.sampled_from(sorted(set(request.headers) - {"authorization"})))
        request.headers[name] = data.draw(st.sampled_from(["  a   b  ", "\tx\t", "", "\x85y\xa0"]))
    elif kind == "method":
        request.method = request.method.swapcase()
    else:
        header = request.headers["authorization"]
        request.headers["authorization"] = header.replace("/20", "/19", 1)


def _damage_signed_list(request: Request, data: st.DataObject) -> None:
    header = request.headers["authorization"]
    before, _, rest = header.partition("SignedHeaders=")
    names, _, after = rest.partition(",")
    listed = names.split(";")
    changes = ["reverse", "duplicate", "upper", "no host", "add ua", "content hash"]
    change = data.draw(st.sampled_from(changes))
    if change == "reverse":
        listed.reverse()
    elif change == "duplicate":
        listed.append(listed[0])
    elif change == "upper":  # and still sorted, so that only the case is unusual
        index = data.draw(st.integers(0, len(listed) - 1))
        listed = sorted([*listed[:index], listed[index].upper(), *listed[index + 1 :]])
    elif change == "no host":
        listed.remove("host")
    elif change == "add ua":
        request.headers.setdefault("user-agent", "Boto3/1.0")
        listed = sorted({*listed, "user-agent"})
    else:  # a signed X-Amz-Content-SHA256 is the payload hash, whatever it says
        values = ["", "  ", " UNSIGNED-PAYLOAD ", hashlib.sha256(b"other").hexdigest()]
        request.headers["x-amz-content-sha256"] = data.draw(st.sampled_from(values))
        listed = sorted({*listed, "x-amz-content-sha256"})
    request.headers["authorization"] = f"{before}SignedHeaders={';'.join(listed)},{after}"


def _outcome(compute: object) -> tuple[str, str]:
    assert callable(compute)
    try:
        return ("signature", compute())
    except Exception as error:  # the reference may raise anything; so must the lean path
        return (type(error).__name__, str(error))


@settings(max_examples=500, deadline=None)
@given(signed_requests(), st.data())
def test_lean_and_botocore_agree_on_any_damaged_request(
    signed: Signed, data: st.DataObject
) -> None:
    request = signed.request
    damage(request, data)
    if not request.raw_path.startswith("/"):
        request.raw_path = "/" + request.raw_path
    fields = auth.signed_fields(request)
    assert fields is not None
    lean = _outcome(lambda: auth.expected_signature(request, CREDS, fields))
    reference = _outcome(lambda: auth.reference_signature(request, CREDS, fields)[1])
    assert lean == reference
    if all(name in request.headers for name in fields.signed_headers):
        canonical = lean_canonical(request)
        assert canonical is None or canonical == auth.reference_signature(request, CREDS, fields)[0]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="/.a%2Fé #?\t~", max_size=20))
def test_canonical_uri_is_botocores_normalised_and_encoded_path(text: str) -> None:
    raw_path = "/" + text
    uri = sigv4.canonical_uri(raw_path)
    if any(char in raw_path for char in "?#\t"):
        assert uri is None  # urlsplit would cut or change it: left to botocore
    else:
        assert uri == quote(normalize_url_path(raw_path), safe="/~")


@settings(max_examples=300, deadline=None)
@given(QUERIES)
def test_canonical_query_is_botocores_sorted_query_as_sent(query: str) -> None:
    signer = SigV4Auth(BotoCredentials("a", "b"), "logs", "us-east-1")
    expected = signer._canonical_query_string_url(urlsplit(f"http://{HOST}/?{query}"))
    assert sigv4.canonical_query(query) == expected
