"""X-Amz-Date and the clock: the hand parser against strptime, the skew limit, the key cache."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlci.cloud import auth, sigv4
from mlci.cloud.credentials import Credentials
from mlci.cloud.errors import AwsError
from tests.unit.cloud.test_auth_sigv4 import CREDS, SIGV4_TIMESTAMP, fresh, signature_code

TIMESTAMP_LIKE = st.builds(
    lambda y, m, d, t, hh, mm, ss, z: f"{y:04d}{m:02d}{d:02d}{t}{hh:02d}{mm:02d}{ss:02d}{z}",
    st.integers(0, 9999),
    st.integers(0, 19),
    st.integers(0, 39),
    st.sampled_from(["T", "t", " "]),
    st.integers(0, 29),
    st.integers(0, 69),
    st.integers(0, 69),
    st.sampled_from(["Z", "z", ""]),
)


def _strptime_epoch(text: str) -> int | None:
    try:
        return calendar.timegm(datetime.strptime(text, SIGV4_TIMESTAMP).timetuple())
    except ValueError:
        return None


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        TIMESTAMP_LIKE, st.text(max_size=18), st.text("0123456789Tt Zz\u0663\uff12", max_size=17)
    )
)
def test_hand_parsed_timestamp_never_disagrees_with_strptime(text: str) -> None:
    parsed = sigv4.parse_timestamp(text)
    assert parsed is None or parsed == _strptime_epoch(text)


@given(st.datetimes(datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59)))
def test_hand_parser_reads_every_canonical_timestamp(moment: datetime) -> None:
    text = f"{moment.year:04d}{moment:%m%dT%H%M%SZ}"  # strftime %Y does not pad years < 1000
    assert sigv4.parse_timestamp(text) == calendar.timegm(moment.timetuple())


@pytest.mark.parametrize(
    "timestamp",
    ["20261301T000000Z", "20260230T120000Z", "20260101T240000Z", "20260101T120060Z", "yesterday"],
)
def test_malformed_timestamp_is_refused_as_before(timestamp: str) -> None:
    request = fresh("sagemaker").request
    request.headers["x-amz-date"] = timestamp
    with pytest.raises(AwsError, match="X-Amz-Date is not a SigV4 timestamp") as info:
        auth.verify(request, CREDS)
    assert info.value.code == "IncompleteSignatureException"


def _fullwidth_year(timestamp: str) -> str:
    return "".join(chr(ord(digit) + 0xFEE0) for digit in timestamp[:4]) + timestamp[4:]


@pytest.mark.parametrize("spelling", [str.lower, _fullwidth_year])
def test_loose_timestamp_spellings_strptime_takes_are_refused_as_bad_signatures(
    spelling: object,
) -> None:
    signed = fresh("logs")
    assert callable(spelling)
    signed.request.headers["x-amz-date"] = spelling(signed.request.headers["x-amz-date"])
    # the date no longer reads as the credential scope's, or the signature differs
    with pytest.raises(AwsError, match="does not match") as info:
        auth.verify(signed.request, CREDS, now=signed.when)
    assert info.value.code == "InvalidSignatureException"


@pytest.mark.parametrize("service", ["sagemaker", "sts"])
def test_clock_skew_limit_is_fifteen_minutes_to_the_microsecond(service: str) -> None:
    signed = fresh(service)
    limit = timedelta(minutes=15)
    for offset in (limit, -limit):
        auth.verify(signed.request, CREDS, now=signed.when + offset)
    tick = timedelta(microseconds=1)
    for offset in (limit + tick, -limit - tick):
        with pytest.raises(AwsError, match="time is too large") as info:
            auth.verify(signed.request, CREDS, now=signed.when + offset)
        assert info.value.code == signature_code(service)


def test_signing_keys_are_cached_per_secret_and_the_cache_stays_small() -> None:
    for number in range(40):
        signed = fresh("sagemaker", region=f"region-{number}")
        auth.verify(signed.request, CREDS)
    cache = sigv4._signing_hmac.cache_info()
    assert cache.maxsize is not None and cache.currsize <= cache.maxsize <= 64
    signed = fresh("sagemaker")
    auth.verify(signed.request, CREDS)  # its key is cached now
    other_secret = Credentials(CREDS.access_key_id, "another-secret-" + "x" * 25, CREDS.account_id)
    with pytest.raises(AwsError, match="signature we calculated does not match") as info:
        auth.verify(signed.request, other_secret)
    assert "another-secret" not in f"{info.value} {info.value!r}"
