"""aws-chunked decoding: botocore's unsigned-trailer framing and the signed-chunk framing."""

from __future__ import annotations

import pytest

from mlci.cloud.errors import AwsError
from mlci.cloud.services.s3.chunked import ChunkedDecoder


def _decode(pieces: list[bytes]) -> tuple[bytes, dict[str, str], ChunkedDecoder]:
    out = bytearray()
    decoder = ChunkedDecoder(out.extend)
    for piece in pieces:
        decoder.feed(piece)
    return bytes(out), decoder.finish(), decoder


UNSIGNED = b"5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n"
SIGNED = (
    b"5;chunk-signature=" + b"a" * 64 + b"\r\nhello\r\n0;chunk-signature=" + b"b" * 64 + b"\r\n\r\n"
)


def test_unsigned_trailer_body_decodes_with_its_trailer() -> None:
    data, trailers, decoder = _decode([UNSIGNED])
    assert data == b"hello world"
    assert trailers == {"x-amz-checksum-crc32": "DUoRhQ=="}
    assert decoder.decoded_size == 11


def test_decoding_does_not_depend_on_how_the_bytes_arrive() -> None:
    one_byte_at_a_time = [UNSIGNED[i : i + 1] for i in range(len(UNSIGNED))]
    assert _decode(one_byte_at_a_time)[:2] == _decode([UNSIGNED])[:2]


def test_signed_chunks_decode_and_keep_their_signatures() -> None:
    data, trailers, decoder = _decode([SIGNED[:7], SIGNED[7:]])
    assert data == b"hello"
    assert trailers == {}
    assert decoder.chunk_signatures == ["a" * 64, "b" * 64]


def test_a_body_ending_right_after_the_last_chunk_is_accepted() -> None:
    assert _decode([b"3\r\nabc\r\n0\r\n"])[0] == b"abc"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"zz\r\nhello\r\n0\r\n\r\n", "not hexadecimal"),
        (b"3\r\nhello\r\n0\r\n\r\n", "longer than its declared size"),
        (b"0\r\nno-colon-here\r\n\r\n", "has no ':'"),
        (b"1" * 9000, "too long"),
        (b"0\r\n\r\nextra", "after the final chunk"),
    ],
)
def test_malformed_framing_is_refused(body: bytes, message: str) -> None:
    decoder = ChunkedDecoder(lambda _: None)
    with pytest.raises(AwsError, match=message) as caught:
        decoder.feed(body[:-5])
        decoder.feed(body[-5:])
    assert caught.value.code == "InvalidRequest"


def test_a_truncated_body_is_incomplete() -> None:
    decoder = ChunkedDecoder(lambda _: None)
    decoder.feed(b"5\r\nhel")
    with pytest.raises(AwsError, match="ended before its final") as caught:
        decoder.finish()
    assert caught.value.code == "IncompleteBody"
