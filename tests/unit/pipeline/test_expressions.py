"""Expression strings, checked against the behaviour CircleCI's evaluator documents."""

from __future__ import annotations

from typing import Any

import pytest

from mlci.pipeline.expressions import Expression, ExpressionError

BRANCH_ENV = {
    "pipeline.git.branch": "main",
    "pipeline.git.tag": None,
    "pipeline.number": 42,
    "pipeline.parameters.deploy": True,
}


def decide(text: str, env: dict[str, Any] | None = None) -> bool:
    return Expression.parse(text).is_true(env if env is not None else {})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('pipeline.git.branch == "main"', True),
        ('pipeline.git.branch != "main"', False),
        ('pipeline.git.branch == "main" and pipeline.parameters.deploy', True),
        ('pipeline.git.branch starts-with "ma"', True),
        ('pipeline.git.branch starts-with "feature/"', False),
        ('pipeline.git.branch contains "ai"', True),
        ("pipeline.git.branch matches /ma.n/", True),
        ("pipeline.git.branch matches /ai/", False),  # whole-string match
        ("pipeline.number > 41 and pipeline.number <= 42", True),
        ("pipeline.number >= 43 or pipeline.number < 0", False),
        ('not (pipeline.git.branch == "main")', False),
        ('!(pipeline.git.branch == "dev")', True),
        ('pipeline.git.branch == "dev" or pipeline.git.branch == "main"', True),
        ("true AND false OR true", True),
    ],
)
def test_operators(text: str, expected: bool) -> None:
    assert decide(text, BRANCH_ENV) is expected


def test_precedence_and_binds_tighter_than_or() -> None:
    env = {"b": "dev", "p": "x", "always": True}
    assert decide('b == "main" and p == "x" or always', env) is True
    assert decide('b == "main" and (p == "x" or always)', env) is False


def test_every_literal_is_truthy_except_false() -> None:
    for text in ("0", "1", '"text"', '""', "/p/", "true"):
        assert decide(text) is True, text
    assert decide("false") is False


def test_mixed_types_are_never_equal() -> None:
    assert decide("true == 1") is False
    assert decide('"5" == 5') is False
    assert decide("true != 1") is True


def test_undefined_values_make_comparisons_false_and_negation_true() -> None:
    env = {"pipeline.git.tag": None}
    assert decide('pipeline.git.tag == "v1"', env) is False
    assert decide('pipeline.git.tag != "v1"', env) is False
    assert decide('pipeline.git.tag starts-with "v"', env) is False
    assert decide("not pipeline.git.tag", env) is True
    assert decide("pipeline.git.tag or 12", env) is True
    assert decide("12 and pipeline.git.tag", env) is False


def test_logical_operators_short_circuit() -> None:
    assert decide("false and missing") is False
    assert decide("true or missing") is True


def test_string_escapes() -> None:
    assert decide('x == "say \\"hi\\" \\\\ back"', {"x": 'say "hi" \\ back'}) is True


def test_variables_lists_identifiers() -> None:
    expression = Expression.parse('a == "x" and not (b.c starts-with d)')
    assert expression.variables() == {"a", "b.c", "d"}


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("", "expected an expression, found 'the end'", 0),
        ("and", "expected an expression, found 'and'", 0),
        ("foo or", "expected an expression", 6),
        ("5 <", "expected an expression", 3),
        ("(1 > 2 3", "expected ')'", 7),
        ("1 > 2) < 3", "unexpected ')' after a complete expression", 5),
        ("foo and bar baz", "unexpected 'baz' after a complete expression", 12),
        ("hello invalid world", "unknown operator 'invalid'", 6),
        ('text "open', "unterminated string", 5),
        ("text /open", "unterminated pattern", 5),
        ("/foo(?:bar/", "invalid pattern", 0),
        ("/(?=x)/", "look-around and back-references are not supported", 0),
        ("/foo⏰/", "character '⏰' is not allowed in a pattern", 4),
        ("foo..bar", "unexpected character '.'", 3),
        ("_foo", "unexpected character '_'", 0),
        ("-foo", "unexpected character '-'", 0),
        ("a = b", "'=' must be written '=='", 2),
        ("a & b", "unexpected character '&'", 2),
        ("9223372036854775808", "number is too large", 0),
    ],
)
def test_syntax_errors_report_their_position(text: str, message: str, position: int) -> None:
    with pytest.raises(ExpressionError, match=f"at character {position + 1} ") as caught:
        Expression.parse(text)
    assert message in caught.value.reason
    assert caught.value.position == position


@pytest.mark.parametrize(
    ("text", "env", "message", "position"),
    [
        ("foo > 5", {}, "unknown variable 'foo'", 0),
        ("5 > true", {}, "'>' needs numbers on both sides", 2),
        ('"a" <= "b"', {}, "'<=' needs numbers on both sides", 4),
        ('foo starts-with "f"', {"foo": 55}, "'starts-with' needs strings on both sides", 4),
        ('"x" contains 5', {}, "'contains' needs strings on both sides", 4),
        ("foo matches /p/", {"foo": 55}, "'matches' needs strings on both sides", 4),
        ('foo matches "p"', {"foo": "p"}, "'matches' needs a /pattern/ on its right", 4),
    ],
)
def test_type_errors_report_the_operator(
    text: str, env: dict[str, Any], message: str, position: int
) -> None:
    with pytest.raises(ExpressionError) as caught:
        decide(text, env)
    assert caught.value.reason == message
    assert caught.value.position == position
