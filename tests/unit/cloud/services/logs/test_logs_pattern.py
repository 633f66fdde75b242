"""FilterLogEvents' filter pattern matcher."""

from __future__ import annotations

import pytest

from mlci.cloud.errors import AwsError
from mlci.cloud.services.logs.pattern import parse_filter_pattern


@pytest.mark.parametrize(
    ("pattern", "message", "expected"),
    [
        ("", "anything at all", True),
        ("   ", "anything at all", True),
        ("ERROR", "[ERROR] disk full", True),
        ("ERROR", "[error] disk full", False),  # case-sensitive
        ("ERROR", "MYERRORS", True),  # a term matches anywhere in the message
        ("ERROR disk", "[ERROR] disk full", True),
        ("ERROR disk", "[ERROR] memory full", False),
        ('"disk full"', "[ERROR] disk full", True),
        ('"disk full"', "disk is full", False),
        ('"train-rmse:"', "[3]#011train-rmse:0.41", True),
        ('"say \\"hi\\""', 'they say "hi" here', True),
        ("?ERROR ?WARN", "WARN low memory", True),
        ("?ERROR ?WARN", "INFO all good", False),
        ('?ERROR ?"low memory"', "INFO low memory", True),
        ("ERROR -Retrying", "ERROR connection lost", True),
        ("ERROR -Retrying", "ERROR Retrying in 5 s", False),
        ('-"all good"', "INFO all good", False),
        ("disk ?ERROR ?WARN", "WARN disk full", True),  # plain terms and one alternative
        ("disk ?ERROR ?WARN", "WARN memory full", False),
        ("disk ?ERROR ?WARN", "INFO disk full", False),
        ('""', "anything", True),
    ],
)
def test_pattern_matching(pattern: str, message: str, expected: bool) -> None:
    assert parse_filter_pattern(pattern).matches(message) is expected


@pytest.mark.parametrize(
    ("pattern", "complaint"),
    [
        ('{ $.level = "error" }', "does not support JSON filter patterns"),
        ("[ip, user, status=500]", "does not support space-delimited filter patterns"),
        ("%ERR.*%", "does not support regular-expression filter patterns"),
        ("ERROR ?{ $.x = 1 }", "does not support JSON"),
        ('"never closed', "quoted phrase is not closed"),
        ("ERROR ?", "'\\?' must be followed by a term"),
        ("- ERROR", "'-' must be followed by a term"),
    ],
)
def test_unsupported_or_malformed_patterns_are_refused(pattern: str, complaint: str) -> None:
    with pytest.raises(AwsError, match=complaint) as raised:
        parse_filter_pattern(pattern)
    assert raised.value.code == "InvalidParameterException"
