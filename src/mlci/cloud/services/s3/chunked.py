"""Decoding `Content-Encoding: aws-chunked` request bodies.

The framing is `<hex size>[;chunk-signature=<sig>]\\r\\n<data>\\r\\n`, repeated, ending with a
zero-size chunk, optional trailer lines (`x-amz-checksum-crc32:<b64>`) and an empty line.
botocore sends it for streaming uploads with a trailing checksum; other SDKs sign each chunk.
"""

from __future__ import annotations

from collections.abc import Callable

from mlci.cloud.errors import AwsError

MAX_LINE = 8192


class ChunkedDecoder:
    """Feed aws-chunked bytes in any slicing; payload bytes go to `sink` as they decode."""

    def __init__(self, sink: Callable[[bytes], None]) -> None:
        self._sink = sink
        self._buf = bytearray()
        self._pos = 0
        self._state = "size"
        self._remaining = 0
        self.trailers: dict[str, str] = {}
        self.chunk_signatures: list[str] = []
        self.decoded_size = 0

    def feed(self, data: bytes) -> None:
        if self._state == "done":
            if data.strip(b"\r\n"):
                raise _malformed("data after the final chunk")
            return
        self._buf += data
        while self._step():
            pass
        del self._buf[: self._pos]
        self._pos = 0

    def finish(self) -> dict[str, str]:
        """The trailers; raises IncompleteBody if the body stopped before its final chunk."""
        ended_without_blank_line = self._state == "trailers" and self._pos == len(self._buf)
        if self._state != "done" and not ended_without_blank_line:
            raise AwsError(
                "IncompleteBody",
                "The aws-chunked request body ended before its final zero-length chunk",
            )
        return self.trailers

    def _step(self) -> bool:
        if self._state == "data":
            return self._data()
        if self._state == "data-end":
            if len(self._buf) - self._pos < 2:
                return False
            if self._buf[self._pos : self._pos + 2] != b"\r\n":
                raise _malformed("a chunk is longer than its declared size")
            self._pos += 2
            self._state = "size"
            return True
        line = self._line()
        if line is None:
            return False
        if self._state == "size":
            self._size_line(line)
        else:
            self._trailer_line(line)
        return True

    def _data(self) -> bool:
        available = len(self._buf) - self._pos
        if available == 0:
            return False
        take = min(available, self._remaining)
        self._sink(bytes(self._buf[self._pos : self._pos + take]))
        self._pos += take
        self._remaining -= take
        self.decoded_size += take
        if self._remaining == 0:
            self._state = "data-end"
        return True

    def _line(self) -> bytes | None:
        end = self._buf.find(b"\r\n", self._pos)
        if end < 0:
            if len(self._buf) - self._pos > MAX_LINE:
                raise _malformed("a chunk header or trailer line is too long")
            return None
        line = bytes(self._buf[self._pos : end])
        self._pos = end + 2
        return line

    def _size_line(self, line: bytes) -> None:
        size_text, _, extension = line.partition(b";")
        try:
            size = int(size_text.strip(), 16)
        except ValueError:
            raise _malformed(f"chunk size {size_text[:20]!r} is not hexadecimal") from None
        if extension.startswith(b"chunk-signature="):
            self.chunk_signatures.append(extension.split(b"=", 1)[1].decode("latin-1"))
        if size == 0:
            self._state = "trailers"
        else:
            self._state, self._remaining = "data", size

    def _trailer_line(self, line: bytes) -> None:
        if not line:
            self._state = "done"
            return
        name, colon, value = line.decode("latin-1").partition(":")
        if not colon:
            raise _malformed(f"trailer line {line[:40]!r} has no ':'")
        self.trailers[name.strip().lower()] = value.strip()


def _malformed(detail: str) -> AwsError:
    return AwsError("InvalidRequest", f"Malformed aws-chunked request body: {detail}")
