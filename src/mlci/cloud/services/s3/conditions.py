"""Conditional requests (If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since).

Evaluated in the order RFC 9110 and the S3 guide give: a failed If-Match (or, without
If-Match, a failed If-Unmodified-Since) is 412; then a matching If-None-Match (or, without
If-None-Match, an unmodified If-Modified-Since) is 304 for reads. CopyObject reads the same
conditions from `x-amz-copy-source-if-*` headers and answers 412 for all of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from email.utils import parsedate_to_datetime

from mlci.cloud.errors import AwsError


def etag_matches(header: str, etag: str) -> bool:
    """Whether an If-Match/If-None-Match list names `etag` (unquoted) or is `*`."""
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*":
            return True
        candidate = candidate.removeprefix("W/").strip('"')
        if candidate == etag:
            return True
    return False


def parse_http_date(value: str) -> float | None:
    """Epoch seconds of an HTTP date; None if it does not parse (the condition is ignored)."""
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:  # "-0000" means UTC with no claim about local time
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def not_modified(headers: Mapping[str, str], etag: str, last_modified: float) -> bool:
    """For GET/HEAD: raise 412 if a precondition fails; True if the answer is 304."""
    _check_preconditions(headers, "", etag, last_modified)
    return _unchanged(headers, "", etag, last_modified)


def check_copy_source(headers: Mapping[str, str], etag: str, last_modified: float) -> None:
    prefix = "x-amz-copy-source-"
    _check_preconditions(headers, prefix, etag, last_modified)
    if _unchanged(headers, prefix, etag, last_modified):
        raise _failed(f"{prefix}If-None-Match or {prefix}If-Modified-Since")


def _check_preconditions(
    headers: Mapping[str, str], prefix: str, etag: str, last_modified: float
) -> None:
    if_match = headers.get(prefix + "if-match")
    if if_match is not None:
        if not etag_matches(if_match, etag):
            raise _failed(prefix + "If-Match")
        return
    unmodified_since = headers.get(prefix + "if-unmodified-since")
    if unmodified_since is not None:
        limit = parse_http_date(unmodified_since)
        if limit is not None and int(last_modified) > limit:
            raise _failed(prefix + "If-Unmodified-Since")


def _unchanged(headers: Mapping[str, str], prefix: str, etag: str, last_modified: float) -> bool:
    if_none_match = headers.get(prefix + "if-none-match")
    if if_none_match is not None:
        return etag_matches(if_none_match, etag)
    modified_since = headers.get(prefix + "if-modified-since")
    if modified_since is not None:
        since = parse_http_date(modified_since)
        return since is not None and int(last_modified) <= since
    return False


def _failed(condition: str) -> AwsError:
    return AwsError(
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold",
        Condition=condition,
    )
