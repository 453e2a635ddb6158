"""Body decoding and parsing, safe XML, configuration sources, and secrets kept out of logs."""

from __future__ import annotations

import codecs
import logging

import pytest

from connectors.sdk import redaction
from connectors.sdk.config import load_config
from connectors.sdk.decoding import decode_body
from connectors.sdk.errors import BodyFormatError, UnsafeXmlError
from connectors.sdk.formats import parse_body
from connectors.sdk.safe_xml import parse_xml

CSV = "案件编号,当事人,面积\r\n龙林罚决字〔2018〕第3号,孙美玲,3.5亩\r\n"


@pytest.mark.parametrize(
    ("body", "declared", "expected_codec"),
    [
        (CSV.encode("gb18030"), None, "gb18030"),
        (CSV.encode("gbk"), "utf-8", "gb18030"),  # the header lies
        (codecs.BOM_UTF8 + CSV.encode("utf-8"), "gb18030", "utf-8-sig"),
        (codecs.BOM_UTF16_LE + CSV.encode("utf-16-le"), None, "utf-16"),
        (CSV.encode("utf-8"), "gbk", "utf-8"),
    ],
)
def test_gbk_gb18030_and_bom_csv_decode(body, declared, expected_codec):
    text, codec = decode_body(body, declared)
    assert codec == expected_codec
    rows = parse_body(text, "csv").records
    assert rows == [{"案件编号": "龙林罚决字〔2018〕第3号", "当事人": "孙美玲", "面积": "3.5亩"}]


def test_truncated_json_and_broken_csv_are_body_errors():
    with pytest.raises(BodyFormatError):
        parse_body('{"items": [{"id": 1}, {"id"', "json", "items")
    with pytest.raises(BodyFormatError):
        parse_body("a,b\r\n1,2,3\r\n", "csv")


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<lolz>&lol3;</lolz>"""
XXE = """<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>"""
PARAM = """<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/evil.dtd"> %p;]><r/>"""


@pytest.mark.parametrize("document", [BILLION_LAUGHS, XXE, PARAM])
def test_xml_bombs_and_external_entities_are_refused(document):
    with pytest.raises(UnsafeXmlError) as err:
        parse_xml(document)
    assert "DTD" in str(err.value)


def test_xml_records_and_encoding_declaration_ignored():
    text = '<?xml version="1.0" encoding="GBK"?><result pages="2"><records><record><ah>（2018）浙0825刑初3号</ah><bg><item>孙美玲</item></bg></record></records></result>'
    parsed = parse_body(text, "xml", "records/record")
    assert parsed.records == [{"ah": "（2018）浙0825刑初3号", "bg": ["孙美玲"]}]
    assert parsed.document.get("pages") == "2"


def test_config_from_airflow_connection_json_and_uri():
    env = {
        "AIRFLOW_CONN_PILHUB_MARKET": '{"conn_type": "http", "host": "scjg.example", "schema": "https", "port": 8443, '
        '"login": "hub", "password": "s3cret-value", "extra": {"token_url": "https://t.example/token"}}'
    }
    config = load_config("market", env=env)
    assert (config.base_url, config.key_id, config.secret, config.token_url, config.source) == (
        "https://scjg.example:8443",
        "hub",
        "s3cret-value",
        "https://t.example/token",
        "airflow",
    )
    assert "s3cret-value" not in repr(config)
    uri = load_config(
        "court",
        env={
            "AIRFLOW_CONN_PILHUB_COURT": "https://client%40hub:pa%2Fss@fy.example/api?token_url=https%3A%2F%2Ffy.example%2Foauth"
        },
    )
    assert (uri.base_url, uri.client_id, uri.client_secret, uri.token_url) == (
        "https://fy.example/api",
        "client@hub",
        "pa/ss",
        "https://fy.example/oauth",
    )
    plain = load_config(
        "water",
        env={
            "PILHUB_CONN_WATER_URL": "http://sl.example/",
            "PILHUB_CONN_WATER_API_KEY": "abcd1234",
            "PILHUB_CONN_WATER_TIMEOUT": "3",
        },
    )
    assert (plain.base_url, plain.api_key, plain.connect_timeout, plain.source) == (
        "http://sl.example",
        "abcd1234",
        3.0,
        "environment",
    )


def test_secrets_never_reach_the_logs(sandbox, sqlite_url, fast_policy, caplog):
    from connectors.sandbox import credentials
    from hub.ingest.pull import pull
    from tests.connectors.conftest import make_factory

    caplog.set_level(logging.DEBUG)
    sandbox.set_faults(["server_errors"], systems=["market"])
    pull("market", stream="replies", factory=make_factory(sqlite_url), policy=fast_policy)
    log = logging.getLogger("connectors.test")
    log.warning("request headers: %s", {"X-Signature": "abc123def", "Authorization": "Bearer tok-987654"})
    log.error("config dump secret=%s api_key=%s", credentials.MARKET_SECRET, "whatever-key")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "retrying" in text  # the client did log its retries
    for secret in (credentials.MARKET_SECRET, "abc123def", "tok-987654", "whatever-key"):
        assert secret not in text
    assert redaction.MASK in text


def test_redacting_filter_masks_registered_secrets_in_any_message():
    redaction.register_secret("pw-0123456789")
    record = logging.LogRecord(
        "urllib3",
        logging.DEBUG,
        __file__,
        1,
        "GET /x?token=%s failed with %s",
        ("pw-0123456789", "pw-0123456789"),
        None,
    )
    redaction.RedactingFilter().filter(record)
    assert "pw-0123456789" not in record.getMessage()
