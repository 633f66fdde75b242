"""S3 XML: escaping keys for responses, refusing malformed or dangerous request documents."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from mlci.cloud.errors import AwsError
from mlci.cloud.services.s3 import xmlio


@pytest.mark.parametrize("value", ["a&b<c>d", "tab\there", "line\nfeed", "carriage\rreturn", "é/ü"])
def test_escaped_text_parses_back_to_the_same_string(value: str) -> None:
    parsed = ET.fromstring(f"<K>{xmlio.text(value)}</K>")
    assert parsed.text == value


def test_leaf_renders_none_bool_and_int() -> None:
    assert xmlio.leaf("A", None) == ""
    assert xmlio.leaf("A", True) == "<A>true</A>"
    assert xmlio.leaf("A", 0) == "<A>0</A>"


def test_document_has_the_s3_namespace() -> None:
    root = ET.fromstring(xmlio.document("R", [xmlio.leaf("A", "1")]))
    assert root.tag == f"{{{xmlio.S3_NAMESPACE}}}R"


def test_parse_drops_namespaces() -> None:
    body = b'<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet></Delete>'
    root = xmlio.parse(body, "Delete")
    assert xmlio.child_text(root, "Quiet") == "true"
    assert xmlio.child_text(root, "Missing") is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<Delete><Object>", "not well-formed"),
        (b"", "not well-formed"),
        (b"<Other/>", "expected <Delete>"),
        (
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><Delete>&a;</Delete>',
            "document type declarations are refused",
        ),
    ],
)
def test_parse_refuses_malformed_documents(body: bytes, message: str) -> None:
    with pytest.raises(AwsError, match=message) as caught:
        xmlio.parse(body, "Delete")
    assert caught.value.code == "MalformedXML"


def test_xml_safety_of_control_characters() -> None:
    assert xmlio.is_xml_safe("plain\tkey\n")
    assert not xmlio.is_xml_safe("nul\x00key")
