"""Lean SigV4 for the hot path: Authorization-header signatures of every service but S3.

InvokeEndpoint is called thousands of times a second, and building botocore's request,
credentials and signer objects for each call, running its canonical-request code and deriving
the signing key (four HMACs) every time cost more than the rest of the request together. This
module computes the same canonical request, string to sign and signature directly, with the
signing key cached.

It must agree with botocore's signer used server side (`auth.reference_signature`) to the
byte, including its quirks: the query is sorted as sent, never re-encoded; the path is
normalised and then URI-encoded once more (so each segment is encoded twice, as botocore does
for every service but S3); the headers botocore never signs are left out even when a client
lists them. Rather than mimic how botocore parses the URL it builds, `canonical_request` only
takes requests where that parse cannot change anything (a plain host, a path starting with
"/", no fragment or control characters) and answers None for the rest, which then go to
botocore. tests/unit/cloud/test_auth_sigv4.py checks the agreement with hypothesis.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from urllib.parse import quote

from botocore.auth import SIGNED_HEADERS_BLACKLIST

from mlci.cloud.credentials import Credentials

ALGORITHM = "AWS4-HMAC-SHA256"
CONTENT_SHA256_HEADER = "x-amz-content-sha256"

# botocore drops these from the signed headers whatever the client lists, so we do too.
_NEVER_SIGNED = frozenset(SIGNED_HEADERS_BLACKLIST)
# A host that cannot make botocore's urlsplit of "http://<host><path>?<query>" move any part
# of the path or query into the netloc (or raise on a malformed IPv6 literal).
_PLAIN_HOST = re.compile(r"[A-Za-z0-9.:_-]+")
# Characters urlsplit treats specially in a query: a fragment start, and the tab and line
# breaks it silently deletes; in a path also "?", where it would start the query.
_QUERY_SPLITTERS = re.compile(r"[#\t\r\n]")
_PATH_SPLITTERS = re.compile(r"[?#\t\r\n]")
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def canonical_request(
    method: str,
    raw_path: str,
    query_string: str,
    signed_headers: Mapping[str, str],
    payload_hash: str,
) -> str | None:
    """The SigV4 canonical request, or None if this request must go to botocore's signer.

    `signed_headers` maps each name in SignedHeaders, as the client wrote it, to the value
    received; `payload_hash` is the hash the request declares (X-Amz-Content-SHA256, else the
    body's), used unless the X-Amz-Content-SHA256 header is itself signed.
    """
    names = _canonical_names(";".join(signed_headers))
    uri = canonical_uri(raw_path)
    if names is None or uri is None or not _is_plain_url(signed_headers["host"], query_string):
        return None
    lines = [f"{name}:{' '.join(signed_headers[name].split())}\n" for name in names]
    payload = signed_headers.get(CONTENT_SHA256_HEADER, payload_hash)
    return "\n".join(
        (
            method.upper(),
            uri,
            canonical_query(query_string),
            "".join(lines),
            ";".join(names),
            payload,
        )
    )


@lru_cache(maxsize=64)
def _canonical_names(joined: str) -> tuple[str, ...] | None:
    """The names that count, if the list is what every SDK sends, else None.

    That is lower-case, sorted, unique and with the host (otherwise botocore folds case,
    merges duplicates, or derives a host from the URL). Cached: clients repeat their lists.
    """
    names = joined.split(";")
    if joined != joined.lower() or names != sorted(set(names)) or "host" not in names:
        return None
    return tuple(name for name in names if name not in _NEVER_SIGNED)


def _is_plain_url(host: str, query_string: str) -> bool:
    """True if botocore's urlsplit of http://<host><path>?<query> gives back this query."""
    if _PLAIN_HOST.fullmatch(host) is None:
        return False
    return not query_string or _QUERY_SPLITTERS.search(query_string) is None


@lru_cache(maxsize=64)
def canonical_uri(raw_path: str) -> str | None:
    """The path as sent, dot segments and empty segments removed, then URI-encoded again.

    None if botocore's urlsplit would not give back this path. Cached: a busy endpoint's
    invocations all have the same path.
    """
    if not raw_path.startswith("/") or _PATH_SPLITTERS.search(raw_path) is not None:
        return None
    segments: list[str] = []
    for segment in raw_path.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment and segment != ".":
            segments.append(segment)
    trailing = "/" if raw_path.endswith("/") and segments else ""
    return quote("/" + "/".join(segments) + trailing, safe="/~")


def canonical_query(query_string: str) -> str:
    """The query's key=value pairs sorted by key, then value, each kept as sent."""
    if not query_string:
        return ""
    pairs = sorted(pair.partition("=")[::2] for pair in query_string.split("&"))
    return "&".join(f"{key}={value}" for key, value in pairs)


def string_to_sign(timestamp: str, region: str, service: str, canonical: str) -> str:
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{timestamp}\n{timestamp[:8]}/{region}/{service}/aws4_request\n{digest}"


def signature(creds: Credentials, timestamp: str, region: str, service: str, canonical: str) -> str:
    """The hex signature; the credential scope's date is the timestamp's, as botocore's is."""
    inner, outer = _signing_hmac(creds, timestamp[:8], region, service)
    inner = inner.copy()
    inner.update(string_to_sign(timestamp, region, service, canonical).encode("utf-8"))
    outer = outer.copy()
    outer.update(inner.digest())
    return outer.hexdigest()


# Keyed by the Credentials object, whose repr hides the secret, so no cache listing shows it.
@lru_cache(maxsize=32)
def _signing_hmac(
    creds: Credentials, day: str, region: str, service: str
) -> tuple[hashlib._Hash, hashlib._Hash]:
    """HMAC-SHA256 (RFC 2104) under the derived signing key, with the key's inner and outer
    pads already hashed: copying those two states is about half the cost of `hmac.digest`,
    which sets up OpenSSL's HMAC afresh for every message."""
    key = ("AWS4" + creds.secret_access_key).encode("utf-8")
    for part in (day, region, service, "aws4_request"):
        key = hmac.digest(key, part.encode("utf-8"), "sha256")
    block = key.ljust(hashlib.sha256().block_size, b"\0")  # a 32-byte key is never hashed
    inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in block))
    outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in block))
    return inner, outer


@lru_cache(maxsize=64)
def parse_timestamp(text: str) -> int | None:
    """Epoch seconds of an X-Amz-Date in its exact form YYYYMMDDTHHMMSSZ, else None.

    None means "ask datetime.strptime": it also takes looser spellings (one-digit fields,
    lower-case t and z), which this parser leaves to it so that both accept the same set.
    Cached: requests signed in the same second share their timestamp.
    """
    if len(text) != 16 or text[8] != "T" or text[15] != "Z":
        return None
    digits = text[:8] + text[9:15]
    if not (digits.isascii() and digits.isdigit()):
        return None
    try:
        day = date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:  # month 13, February 30, year 0
        return None
    hour, minute, second = int(text[9:11]), int(text[11:13]), int(text[13:15])
    if hour > 23 or minute > 59 or second > 59:
        return None
    return (day.toordinal() - _EPOCH_ORDINAL) * 86400 + hour * 3600 + minute * 60 + second
