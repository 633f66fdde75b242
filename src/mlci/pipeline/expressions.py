"""CircleCI expression strings: `pipeline.git.branch == "main" and not (x starts-with "api")`.

The language is CircleCI's (github.com/CircleCI-Public/expr): `or` < `and` < `==` `!=`
`starts-with` `contains` `matches` < `>=` `>` `<=` `<` < `not`/`!`, parentheses, integer,
double-quoted string, `/pattern/`, `true`/`false` literals and dotted identifiers looked up in an
environment. A variable whose value is None is *undefined*: every comparison with it is
undefined, and undefined counts as false. Every literal except `false` is truthy.

Differences from CircleCI's evaluator, both deliberate: patterns are Python `re` (CircleCI uses
RE2, which has no look-around or back-references; we refuse those so a config that passes here
does not fail there), and `matches` is a whole-string match there and here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlci.pipeline.errors import PipelineError

_INT64_MAX = 2**63 - 1
_KEYWORDS = {"and": "and", "AND": "and", "or": "or", "OR": "or", "not": "not", "NOT": "not"}
_BUILTINS = ("starts-with", "contains", "matches")
_IDENTIFIER = re.compile(r"[A-Za-z][\w\-?]*(?:\.[\w\-?]+)*")
_RE2_UNSUPPORTED = re.compile(r"\(\?[=!<]|\(\?P=|\\[1-9]")


class ExpressionError(PipelineError):
    """A malformed expression or an operand of the wrong type; `position` is 0-based."""

    def __init__(self, message: str, expression: str, position: int) -> None:
        self.reason = message
        self.expression = expression
        self.position = position
        super().__init__(f"{message} at character {position + 1} of expression {expression!r}")


class _Undefined:
    """The value of a variable that exists but has no value (CircleCI: `null`)."""

    def __repr__(self) -> str:
        return "undefined"


UNDEFINED: Any = _Undefined()


@dataclass(frozen=True)
class Token:
    kind: str  # "number", "string", "pattern", "identifier", "op", "(", ")", "eof", or a keyword
    text: str
    position: int
    value: Any = None


@dataclass(frozen=True)
class Literal:
    value: Any
    token: Token


@dataclass(frozen=True)
class Variable:
    name: str
    token: Token


@dataclass(frozen=True)
class Not:
    operand: Expr
    token: Token


@dataclass(frozen=True)
class Binary:
    operator: str  # and, or, ==, !=, <, <=, >, >=, starts-with, contains, matches
    left: Expr
    right: Expr
    token: Token


Expr = Literal | Variable | Not | Binary


# --- scanner -----------------------------------------------------------------------------


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char in " \t\r\n":
            index += 1
        elif char in "()":
            tokens.append(Token(char, char, index))
            index += 1
        elif char == '"':
            index = _scan_string(text, index, tokens)
        elif char == "/":
            index = _scan_pattern(text, index, tokens)
        elif char.isascii() and char.isdigit():
            index = _scan_number(text, index, tokens)
        elif char in "=!<>":
            index = _scan_operator(text, index, tokens)
        elif char.isascii() and char.isalpha():
            index = _scan_word(text, index, tokens)
        else:
            raise ExpressionError(f"unexpected character {char!r}", text, index)
    tokens.append(Token("eof", "", len(text)))
    return tokens


def _scan_string(text: str, start: int, tokens: list[Token]) -> int:
    chars: list[str] = []
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            chars.append(text[index + 1])
            index += 2
        elif char == '"':
            tokens.append(Token("string", text[start : index + 1], start, "".join(chars)))
            return index + 1
        else:
            chars.append(char)
            index += 1
    raise ExpressionError("unterminated string", text, start)


def _scan_pattern(text: str, start: int, tokens: list[Token]) -> int:
    chars: list[str] = []
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text) and text[index + 1] == "/":
            chars.append("/")
            index += 2
            continue
        if char == "/":
            source = "".join(chars)
            compiled = compile_pattern(source, text, start)
            tokens.append(Token("pattern", text[start : index + 1], start, compiled))
            return index + 1
        if not char.isascii():
            raise ExpressionError(f"character {char!r} is not allowed in a pattern", text, index)
        chars.append(char)
        index += 1
    raise ExpressionError("unterminated pattern", text, start)


def compile_pattern(source: str, expression: str, position: int) -> re.Pattern[str]:
    """Compile a `/pattern/` body, refusing what RE2 (CircleCI's engine) cannot do."""
    if _RE2_UNSUPPORTED.search(source):
        raise ExpressionError(
            "look-around and back-references are not supported in patterns (CircleCI uses RE2)",
            expression,
            position,
        )
    try:
        return re.compile(source)
    except re.error as exc:
        raise ExpressionError(f"invalid pattern: {exc}", expression, position) from None


def _scan_number(text: str, start: int, tokens: list[Token]) -> int:
    index = start
    while index < len(text) and text[index].isascii() and text[index].isdigit():
        index += 1
    number = int(text[start:index])
    if number > _INT64_MAX:
        raise ExpressionError("number is too large", text, start)
    tokens.append(Token("number", text[start:index], start, number))
    return index


def _scan_operator(text: str, start: int, tokens: list[Token]) -> int:
    pair = text[start : start + 2]
    if pair in ("==", "!=", "<=", ">="):
        tokens.append(Token("op", pair, start))
        return start + 2
    char = text[start]
    if char in "<>":
        tokens.append(Token("op", char, start))
    elif char == "!":
        tokens.append(Token("not", char, start))
    else:
        raise ExpressionError("'=' must be written '=='", text, start)
    return start + 1


def _scan_word(text: str, start: int, tokens: list[Token]) -> int:
    match = _IDENTIFIER.match(text, start)
    if match is None:  # pragma: no cover - the caller checked the first character is a letter
        raise ExpressionError("unexpected character", text, start)
    word = match.group()
    end = match.end()
    if end < len(text) and text[end] == ".":
        raise ExpressionError("unexpected character '.'", text, end)
    if word in _KEYWORDS:
        tokens.append(Token(_KEYWORDS[word], word, start))
    elif word in ("true", "false"):
        tokens.append(Token("bool", word, start, word == "true"))
    else:
        tokens.append(Token("identifier", word, start))
    return end


# --- parser ------------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0

    def peek(self, offset: int = 0) -> Token:
        return self.tokens[min(self.index + offset, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.peek()
        self.index += 1
        return token

    def fail(self, message: str, token: Token) -> ExpressionError:
        return ExpressionError(message, self.text, token.position)

    def parse(self) -> Expr:
        expr = self.logic("or", self.logic_and)
        token = self.peek()
        if token.kind != "eof":
            raise self.fail(f"unexpected {token.text!r} after a complete expression", token)
        return expr

    def logic(self, keyword: str, operand: Any) -> Expr:
        expr: Expr = operand()
        while self.peek().kind == keyword:
            token = self.advance()
            expr = Binary(keyword, expr, operand(), token)
        return expr

    def logic_and(self) -> Expr:
        return self.logic("and", self.equality)

    def equality(self) -> Expr:
        expr = self.comparison()
        while True:
            token = self.peek()
            is_equality = token.kind == "op" and token.text in ("==", "!=")
            if is_equality or (token.kind == "identifier" and token.text in _BUILTINS):
                operator = token.text
            elif token.kind == "identifier" and self._starts_operand(self.peek(1)):
                raise self.fail(f"unknown operator {token.text!r}", token)
            else:
                return expr
            self.advance()
            expr = Binary(operator, expr, self.comparison(), token)

    def _starts_operand(self, token: Token) -> bool:
        return token.kind in ("number", "string", "pattern", "identifier", "bool", "(", "not")

    def comparison(self) -> Expr:
        expr = self.unary()
        while self.peek().kind == "op" and self.peek().text in ("<", "<=", ">", ">="):
            token = self.advance()
            expr = Binary(token.text, expr, self.unary(), token)
        return expr

    def unary(self) -> Expr:
        if self.peek().kind == "not":
            token = self.advance()
            return Not(self.unary(), token)
        return self.primary()

    def primary(self) -> Expr:
        token = self.advance()
        if token.kind in ("number", "string", "pattern", "bool"):
            return Literal(token.value, token)
        if token.kind == "identifier":
            return Variable(token.text, token)
        if token.kind == "(":
            expr = self.logic("or", self.logic_and)
            closing = self.advance()
            if closing.kind != ")":
                raise self.fail("expected ')'", closing)
            return expr
        raise self.fail(f"expected an expression, found {token.text or 'the end'!r}", token)


def parse_expression(text: str) -> Expr:
    """Parse an expression string; raises ExpressionError naming the position."""
    return _Parser(text).parse()


# --- evaluation --------------------------------------------------------------------------


def truthy(value: Any) -> bool:
    """CircleCI expression truthiness: only `false` and undefined are false."""
    return value is not False and value is not UNDEFINED


def evaluate(expr: Expr, environment: Mapping[str, Any], text: str = "") -> Any:
    """Evaluate to a value (use `truthy` for a decision). Unknown variables are errors."""
    if isinstance(expr, Literal):
        return expr.value
    if isinstance(expr, Variable):
        if expr.name not in environment:
            raise ExpressionError(f"unknown variable {expr.name!r}", text, expr.token.position)
        value = environment[expr.name]
        return UNDEFINED if value is None else value
    if isinstance(expr, Not):
        return not truthy(evaluate(expr.operand, environment, text))
    if expr.operator == "and":
        left = evaluate(expr.left, environment, text)
        return evaluate(expr.right, environment, text) if truthy(left) else left
    if expr.operator == "or":
        left = evaluate(expr.left, environment, text)
        return left if truthy(left) else evaluate(expr.right, environment, text)
    left = evaluate(expr.left, environment, text)
    right = evaluate(expr.right, environment, text)
    return _apply(expr, left, right, text)


def _apply(expr: Binary, left: Any, right: Any, text: str) -> Any:
    operator = expr.operator
    if operator == "matches" and not isinstance(right, re.Pattern) and right is not UNDEFINED:
        raise ExpressionError("'matches' needs a /pattern/ on its right", text, _at(expr))
    if left is UNDEFINED or right is UNDEFINED:
        return UNDEFINED
    if operator in ("==", "!="):
        equal = type(left) is type(right) and left == right
        return equal if operator == "==" else not equal
    if operator in ("<", "<=", ">", ">="):
        if not (_is_number(left) and _is_number(right)):
            raise ExpressionError(f"{operator!r} needs numbers on both sides", text, _at(expr))
        return _COMPARE[operator](left, right)
    if not isinstance(left, str) or (operator != "matches" and not isinstance(right, str)):
        raise ExpressionError(f"{operator!r} needs strings on both sides", text, _at(expr))
    if operator == "starts-with":
        return left.startswith(right)
    if operator == "contains":
        return right in left
    return right.fullmatch(left) is not None


def _at(expr: Binary) -> int:
    return expr.token.position


def _is_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_COMPARE = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


@dataclass(frozen=True)
class Expression:
    """A parsed expression string with its source, ready to evaluate many times."""

    source: str
    tree: Expr

    @classmethod
    def parse(cls, source: str) -> Expression:
        return cls(source, parse_expression(source))

    def value(self, environment: Mapping[str, Any]) -> Any:
        return evaluate(self.tree, environment, self.source)

    def is_true(self, environment: Mapping[str, Any]) -> bool:
        return truthy(self.value(environment))

    def variables(self) -> frozenset[str]:
        """Every identifier the expression reads (to check them before evaluating)."""
        names: set[str] = set()
        stack: list[Expr] = [self.tree]
        while stack:
            node = stack.pop()
            if isinstance(node, Variable):
                names.add(node.name)
            elif isinstance(node, Not):
                stack.append(node.operand)
            elif isinstance(node, Binary):
                stack.extend((node.left, node.right))
        return frozenset(names)
