"""Property tests over whole files: every file entry point meets any byte sequence with line errors or exit 2.

Files are built from pieces an attacker or a broken export would produce — good registry and record lines
(also re-encoded as GB18030 or UTF-16), flipped bytes, random binary, BOMs, deep nesting, huge integers,
duplicate keys, stray quotes, long lines and every line ending — and fed to each entry point:

* ``pilhub cases import`` (:func:`hub.registry.importer.read_lines` + ``import_cases`` on a real store),
* ``pilhub validate`` (:func:`hub.ingest.file_check.check_file`) for JSON Lines, CSV and would-be XLSX,
* ``pilhub records load`` (the CLI on a real store),
* ``pilhub calendar parse`` (a State Council notice as plain text),
* ``pilhub agencies import`` (the agency registry as YAML),
* the shared reader :func:`schemas.textfile.open_text` with a small line limit.

The contract: either the whole file is refused up front (:class:`~schemas.textfile.UnreadableFile` → exit 2)
or every line ends as a record or a line error and the counts add up — never any other exception.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from hub.cli.main import app
from hub.ingest.file_check import FileFormatError, check_file
from hub.registry.importer import parse_line, read_lines
from hub.samples import SAMPLE_CASES
from schemas.textfile import UnreadableFile, open_text

FILES = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
_SAMPLE_LINES = SAMPLE_CASES.read_text(encoding="utf-8").splitlines()[:6]
_RECEIPT = {
    "recommendation_number": "柯检行公建〔2018〕3号",
    "receiving_agency": "衢州市柯城区水利局",
    "received_date": "2018-03-10",
    "receiver": "王建国",
}

_HOSTILE = [
    "[" * 3_000 + "]" * 3_000,
    '{"a":' * 2_000 + "1" + "}" * 2_000,
    '{"n": ' + "7" * 4_400 + "}",
    '{"case_id": "KC-1", "case_id": "KC-2"}',
    '{"case_id": "../../x", "title": "{{7*7}}"}',
    '{"outcomes": {"money_recovered_yuan": 1e308}}',
    '"unclosed,quote',
    "\u202e\u0000\ufeff\ud7ff",
    json.dumps(_RECEIPT, ensure_ascii=False),
    ",".join(_RECEIPT),
    ",".join(_RECEIPT.values()),
    '"[[[[[[[[",x',
]


@st.composite
def _piece(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return draw(st.sampled_from(_SAMPLE_LINES)).encode(draw(st.sampled_from(["utf-8", "gb18030"])))
    if kind == 1:
        line = bytearray(draw(st.sampled_from(_SAMPLE_LINES)).encode())
        for _ in range(draw(st.integers(1, 4))):
            line[draw(st.integers(0, len(line) - 1))] = draw(st.integers(0, 255))
        return bytes(line)
    if kind == 2:
        return draw(st.binary(max_size=300))
    if kind == 3:
        return draw(st.sampled_from(_HOSTILE)).encode("utf-8", "surrogatepass")
    if kind == 4:
        return draw(st.text(max_size=80)).encode("utf-8", "surrogatepass")
    return b"x" * draw(st.integers(0, 5_000))


@st.composite
def hostile_files(draw: st.DrawFn) -> bytes:
    pieces = draw(st.lists(_piece(), max_size=12))
    ending = draw(st.sampled_from([b"\n", b"\r\n", b"\r", b"\n\n"]))
    body = ending.join(pieces)
    wrap = draw(st.integers(0, 4))
    if wrap == 1:
        return b"\xef\xbb\xbf" + body
    if wrap == 2:  # the file re-saved as UTF-16 by a Windows tool
        return "\ufeff".encode("utf-16-le") + body.decode("utf-8", "replace").encode("utf-16-le")
    if wrap == 3:
        return b"\xfe\xff" + body.decode("utf-8", "replace").encode("utf-16-be")
    if wrap == 4 and draw(st.booleans()):
        return b"PK\x03\x04" + body  # looks like a workbook (a ZIP) to the record-file reader
    return body


@FILES
@given(data=hostile_files())
def test_registry_reader_and_parser_never_raise(tmp_path_factory, data: bytes) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("reg") / "cases.jsonl"
    path.write_bytes(data)
    try:
        lines = list(read_lines(path))
    except UnreadableFile as exc:
        assert exc.zh and exc.en
        return
    numbers = [n for n, _ in lines]
    assert numbers == sorted(set(numbers))
    for number, text in lines:
        result = parse_line(number, text)
        assert isinstance(result, list) or result.case_id
        if isinstance(result, list):
            assert result and all(e.line == number and e.reason_zh and e.reason_en for e in result)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=hostile_files())
def test_cases_import_command_never_tracebacks(use_store: str, tmp_path_factory, data: bytes) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("cli") / "cases.jsonl"
    path.write_bytes(data)
    result = CliRunner().invoke(app, ["cases", "import", str(path), "--json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1, 2), result.output
    if result.exit_code != 2:
        report = json.loads(result.stdout)
        assert report["received"] == sum(
            report[k] for k in ("inserted", "updated", "unchanged", "duplicates", "rejected")
        )
        assert len({e["line"] for e in report["errors"]}) <= report["rejected"]


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=hostile_files(), suffix=st.sampled_from([".jsonl", ".csv", ".xlsx"]))
def test_records_load_command_never_tracebacks(agencies: str, tmp_path_factory, data: bytes, suffix: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("load") / f"records{suffix}"
    path.write_bytes(data)
    result = CliRunner().invoke(
        app, ["records", "load", "agency.receipt", str(path), "--agency", "330800-sl", "--json"]
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1, 2), result.output
    if result.exit_code != 2:
        report = json.loads(result.stdout)
        assert report["received"] == report["loaded"] + report["duplicates"] + report["quarantined"]


@pytest.fixture
def agencies(use_store: str) -> str:
    from hub.agencies import import_agencies, load_registry_file
    from hub.samples import SAMPLE_AGENCIES
    from hub.store import open_store

    with open_store()() as session, session.begin():
        import_agencies(session, load_registry_file(SAMPLE_AGENCIES), actor="test")
    return use_store


@FILES
@given(data=hostile_files(), suffix=st.sampled_from([".jsonl", ".csv", ".txt", ".xlsx"]))
def test_validate_never_raises_and_counts_add_up(tmp_path_factory, data: bytes, suffix: str) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("val")
    path = folder / f"records{suffix}"
    path.write_bytes(data)
    try:
        result = check_file("agency.receipt", path)
    except FileFormatError as exc:
        assert exc.zh and exc.en
        return
    assert result.received == result.valid + result.invalid
    assert sum(result.reasons.values()) >= result.invalid


@FILES
@given(data=hostile_files(), limit=st.integers(8, 400))
def test_shared_reader_bounds_every_line(tmp_path_factory, data: bytes, limit: int) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("txt") / "any.txt"
    path.write_bytes(data)
    try:
        source = open_text(path, max_line_bytes=limit)
    except UnreadableFile:
        return
    previous = 0
    for line in source:
        assert line.number == previous + 1
        previous = line.number
        assert (line.text is None) == (line.problem is not None)
        if line.text is not None:
            assert len(line.text.encode(source.encoding, "surrogatepass")) <= limit + 4


_NOTICE = (Path(__file__).resolve().parents[1] / "sla" / "notices" / "2024.txt").read_text(encoding="utf-8")


@st.composite
def hostile_notices(draw: st.DrawFn) -> bytes:
    lines = _NOTICE.splitlines()
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(lines)))
        lines.insert(
            at,
            draw(st.one_of(st.text(max_size=60), st.sampled_from(_HOSTILE[:8]), st.just("二〇二四年十三月三十二日"))),
        )
    if lines and draw(st.booleans()):
        del lines[draw(st.integers(0, len(lines) - 1))]
    body = "\n".join(lines).encode("utf-8", "surrogatepass")
    return draw(st.sampled_from([body, b"\xef\xbb\xbf" + body, body + draw(st.binary(max_size=40))]))


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.one_of(hostile_notices(), hostile_files()))
def test_calendar_parse_never_tracebacks(tmp_path_factory, data: bytes) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("notice") / "notice.txt"
    path.write_bytes(data)
    result = CliRunner().invoke(app, ["calendar", "parse", str(path), "--json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 2), result.output


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    data=hostile_files(),
    yaml_piece=st.sampled_from(["", "agencies:\n- {code: 330800-sl, name: 衢州市水利局}\n", "a: &a [1]\nb: *a\n"]),
)
def test_agencies_import_never_tracebacks(use_store: str, tmp_path_factory, data: bytes, yaml_piece: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("agencies") / "agencies.yaml"
    path.write_bytes(yaml_piece.encode() + data)
    result = CliRunner().invoke(app, ["agencies", "import", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1, 2), result.output


@FILES
@given(data=hostile_files(), limit=st.integers(8, 4_000), codec=st.sampled_from(["utf-8", "gb18030"]))
def test_shared_reader_matches_a_line_by_line_reference(tmp_path_factory, data: bytes, limit: int, codec: str) -> None:  # type: ignore[no-untyped-def]
    """The chunk-at-once fast path gives exactly what decoding each line on its own gives."""
    path = tmp_path_factory.mktemp("ref") / "any.txt"
    path.write_bytes(data)
    expected = []
    if codec == "utf-8" and data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # a byte-order mark is not part of the first line
    raws = data.split(b"\n")
    if raws and raws[-1] == b"":
        raws.pop()
    for number, raw in enumerate(raws, start=1):
        if len(raw) > limit:
            expected.append((number, None, "line.too_long"))
            continue
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError:
            expected.append((number, None, "line.decode"))
            continue
        expected.append((number, text.removesuffix("\r"), None))
    got = [
        (line.number, line.text, line.problem.code if line.problem else None)
        for line in open_text(path, max_line_bytes=limit, encoding=codec)
    ]
    assert got == expected
