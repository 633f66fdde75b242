"""S3's XML: building response documents and reading request documents.

Responses are built as strings from small helpers (faster than an element tree for the
listing hot path). Request documents are parsed with ElementTree after refusing DTDs, so no
entity expansion can happen; namespaces are dropped, since clients send them or not.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from mlci.cloud.errors import AwsError

S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"
MALFORMED = (
    "The XML you provided was not well-formed or did not validate against our published schema"
)

# Characters XML 1.0 cannot carry literally, and \r (which parsers would turn into \n):
# written as character references so that a key survives the round trip when it can.
_NEEDS_ESCAPE = re.compile(r"[&<>\x00-\x08\x0b-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def text(value: str) -> str:
    """Escape a string for element content."""
    if not _NEEDS_ESCAPE.search(value):
        return value
    return _NEEDS_ESCAPE.sub(lambda m: _ENTITIES.get(m[0]) or f"&#{ord(m[0])};", value)


def is_xml_safe(value: str) -> bool:
    """Whether a string can appear in XML 1.0 at all (error bodies leave unsafe keys out)."""
    return not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", value)


def leaf(tag: str, value: str | int | bool | None) -> str:
    """`<tag>value</tag>`; nothing for None; booleans as true/false."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return f"<{tag}>{'true' if value else 'false'}</{tag}>"
    if isinstance(value, int):
        return f"<{tag}>{value}</{tag}>"
    return f"<{tag}>{text(value)}</{tag}>"


def node(tag: str, children: Iterable[str]) -> str:
    return f"<{tag}>{''.join(children)}</{tag}>"


def document(root: str, children: Iterable[str]) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<{root} xmlns="{S3_NAMESPACE}">{"".join(children)}</{root}>'
    ).encode()


def parse(body: bytes, root: str) -> ET.Element:
    """The request document's root element, which must be `root`; MalformedXML otherwise."""
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise AwsError("MalformedXML", f"{MALFORMED} (document type declarations are refused)")
    try:
        element = ET.fromstring(body)
    except ET.ParseError as exc:
        raise AwsError("MalformedXML", f"{MALFORMED} ({exc})") from None
    for item in element.iter():
        item.tag = _local(item.tag)
    if element.tag != root:
        raise AwsError("MalformedXML", f"{MALFORMED} (expected <{root}>, got <{element.tag}>)")
    return element


def child_text(element: ET.Element, tag: str) -> str | None:
    child = element.find(tag)
    if child is None:
        return None
    return child.text or ""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if tag.startswith("{") else tag
