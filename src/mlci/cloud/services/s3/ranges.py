"""The `Range` header of GetObject: one byte range, as S3 supports it.

S3 serves a single range (`bytes=a-b`, `bytes=a-`, `bytes=-n`); a header it cannot parse, or
one asking for several ranges, is ignored and the whole object is returned, as S3 does.
A range that starts past the end of the object is refused with 416 InvalidRange.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mlci.cloud.errors import AwsError

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@dataclass(frozen=True)
class ByteRange:
    start: int
    length: int

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.start + self.length - 1}/{size}"


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The range to serve, None for the whole object; raises InvalidRange if unsatisfiable."""
    if header is None:
        return None
    match = _RANGE.match(header.strip().replace(" ", ""))
    if match is None:
        return None
    first, last = match.group(1), match.group(2)
    if not first and not last:
        return None
    if not first:  # suffix range: the last n bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise _unsatisfiable(header, size)
        start = max(size - suffix, 0)
        return ByteRange(start, size - start)
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None  # syntactically invalid: ignored, as RFC 9110 says
    if start >= size:
        raise _unsatisfiable(header, size)
    end = min(end, size - 1)
    return ByteRange(start, end - start + 1)


def _unsatisfiable(header: str, size: int) -> AwsError:
    return AwsError(
        "InvalidRange",
        "The requested range is not satisfiable",
        RangeRequested=header,
        ActualObjectSize=str(size),
    )
