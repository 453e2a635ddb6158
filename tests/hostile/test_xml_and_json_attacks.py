"""Classic payload attacks: XML external entities and entity expansion are refused fast; odd JSON gets clear errors."""

from __future__ import annotations

import json
import time

import pytest

from connectors.sdk import errors, formats, safe_xml
from hub.registry.importer import parse_line

BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + "]><lolz>&lol9;</lolz>"
)
ATTACKS = {
    "xxe_file": '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
    "xxe_http": '<!DOCTYPE r [<!ENTITY x SYSTEM "http://127.0.0.1:1/steal">]><r>&x;</r>',
    "external_dtd": '<!DOCTYPE r SYSTEM "http://127.0.0.1:1/evil.dtd"><r/>',
    "parameter_entity": '<!DOCTYPE r [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><r/>',
    "billion_laughs": BILLION_LAUGHS,
    "quadratic_blowup": '<!DOCTYPE r [<!ENTITY a "' + "A" * 50_000 + '">]><r>' + "&a;" * 50_000 + "</r>",
    "unparsed_entity": '<!DOCTYPE r [<!NOTATION n SYSTEM "x"><!ENTITY e SYSTEM "y" NDATA n>]><r/>',
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_xml_entity_attacks_are_refused_before_expansion(name: str) -> None:
    started = time.perf_counter()
    with pytest.raises(errors.UnsafeXmlError) as info:
        formats.parse_body(ATTACKS[name], "xml")
    assert time.perf_counter() - started < 1.0  # refused at the DOCTYPE, nothing expanded
    assert "XXE" in str(info.value) and "root:" not in str(info.value)


def test_undeclared_entity_is_a_format_error_not_a_lookup() -> None:
    with pytest.raises(errors.BodyFormatError):
        safe_xml.parse_xml("<r>&nbsp;&x;</r>")


def test_xml_declaring_another_encoding_is_read_as_the_decoded_text() -> None:
    root = safe_xml.parse_xml('<?xml version="1.0" encoding="GB2312"?><r><name>衢州市生态环境局</name></r>')
    assert root.find("name").text == "衢州市生态环境局"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('{"case_id": "KC-1", "opened_on": 1e999}', "opened_on"),  # float overflow → inf
        ('{"case_id": "KC-1", "outcomes": {"money_recovered_yuan": NaN}}', None),
        ('{"case_id": "KC-1", "outcomes": {"land_restored_mu": -Infinity}}', None),
        ("[" * 50 + "]" * 50, "(line)"),  # nesting a normal parser handles, but not an object
        ('{"case_id": ' + "1" * 4000 + "}", "case_id"),  # long, but under the 4300-digit limit
        ('"' + "x" * 1_000_000 + '"', "(line)"),
        ("\ufeff{}", "(line)"),
        ('{"case_id": "\\ud800"}', None),
    ],
)
def test_odd_json_lines_are_rejected_with_a_clear_reason(text: str, field: str | None) -> None:
    result = parse_line(9, text)
    assert isinstance(result, list) and result, "odd input must be rejected, not loaded"
    if field:
        assert any(e.field == field or e.field.startswith(field) for e in result), result
    for error in result:
        assert error.line == 9 and error.reason_zh and error.reason_en
        assert len(error.reason_en) < 500  # the reason names the problem, it does not echo the payload


def test_connector_json_with_nan_and_huge_floats_parses_to_values_the_contract_then_rejects() -> None:
    body = formats.parse_body(json.dumps({"items": [{"amount": float("nan")}, {"amount": 1e308}]}), "json", "items")
    assert len(body.records) == 2  # parsed; the schema contract (not the body parser) judges the values
