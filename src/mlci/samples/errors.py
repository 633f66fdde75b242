"""What can go wrong while finding, verifying and converting the sample datasets."""

from __future__ import annotations


class SamplesError(Exception):
    """An expected failure, with a message that says what to do next."""


class ChecksumMismatch(SamplesError):
    def __init__(self, file_name: str, where: str, expected: str, actual: str) -> None:
        super().__init__(
            f"{file_name} from {where} has SHA-256 {actual}, expected {expected}; "
            "the file is corrupt or a different version — replace it with the published one"
        )
        self.file_name = file_name
        self.expected = expected
        self.actual = actual


class SamplesUnavailable(SamplesError):
    """Neither a local folder nor the public origin could provide a file."""


class MalformedSample(SamplesError):
    """A row of a dataset does not have the published shape."""
