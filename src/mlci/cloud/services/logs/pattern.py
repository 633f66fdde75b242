"""FilterLogEvents' filter patterns, for unstructured (plain text) log events.

Supported, following the CloudWatch Logs filter pattern syntax for unstructured events:
  - an empty pattern matches every event;
  - a term (`ERROR`) matches events that contain it, case-sensitively, anywhere in the message;
  - several terms (`ERROR Exception`) must all appear;
  - a quoted phrase (`"train-rmse:0.5"`, `"out of memory"`) is one term, spaces and punctuation
    included; `\\"` inside it is a literal quote;
  - `?term` / `?"phrase"` are alternatives: at least one of them must appear (`?ERROR ?WARN`);
  - `-term` / `-"phrase"` excludes events that contain it (`ERROR -Retrying`).
When plain and `?` terms are mixed, an event must contain every plain term and at least one
`?` term (AWS does not document the mixture).

Not supported, and refused with InvalidParameterException rather than silently matching
everything: JSON patterns (`{ $.level = "error" }`), space-delimited patterns (`[ip, user]`),
regular expressions (`%ERR.*%`) and numeric comparisons inside those.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlci.cloud.errors import AwsError

_UNSUPPORTED = {
    "{": "JSON filter patterns ({ $.field ... })",
    "[": "space-delimited filter patterns ([field, ...])",
    "%": "regular-expression filter patterns (%regex%)",
}


@dataclass(frozen=True)
class FilterPattern:
    required: tuple[str, ...] = ()
    alternatives: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()

    def matches(self, message: str) -> bool:
        if not all(term in message for term in self.required):
            return False
        if self.alternatives and not any(term in message for term in self.alternatives):
            return False
        return not any(term in message for term in self.excluded)


def parse_filter_pattern(text: str) -> FilterPattern:
    required: list[str] = []
    alternatives: list[str] = []
    excluded: list[str] = []
    index = _skip_spaces(text, 0)
    while index < len(text):
        operator = text[index] if text[index] in "?-" else ""
        index += len(operator)
        term, index = _read_term(text, index)
        {"": required, "?": alternatives, "-": excluded}[operator].append(term)
        index = _skip_spaces(text, index)
    return FilterPattern(tuple(required), tuple(alternatives), tuple(excluded))


def _skip_spaces(text: str, index: int) -> int:
    while index < len(text) and text[index].isspace():
        index += 1
    return index


def _read_term(text: str, index: int) -> tuple[str, int]:
    if index >= len(text) or text[index].isspace():
        raise _invalid(f"'{text[index - 1]}' must be followed by a term")
    if text[index] == '"':
        return _read_phrase(text, index + 1)
    if text[index] in _UNSUPPORTED:
        raise _invalid(f"mlci cloud does not support {_UNSUPPORTED[text[index]]}")
    end = index
    while end < len(text) and not text[end].isspace():
        end += 1
    return text[index:end], end


def _read_phrase(text: str, index: int) -> tuple[str, int]:
    chars: list[str] = []
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text) and text[index + 1] in '"\\':
            chars.append(text[index + 1])
            index += 2
            continue
        if char == '"':
            return "".join(chars), index + 1
        chars.append(char)
        index += 1
    raise _invalid("a quoted phrase is not closed with '\"'")


def _invalid(detail: str) -> AwsError:
    return AwsError("InvalidParameterException", f"Invalid filter pattern: {detail}")
