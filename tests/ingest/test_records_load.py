"""``pilhub records load KIND FILE --agency CODE``: files of records through the pull pipeline.

The files are written the way agencies' office software writes them: a JSON Lines dump
with the mistakes of a hand-edited export, a CSV saved as GB18030 (WPS / Excel "CSV"
under a Chinese locale) and an Excel workbook whose dates are date cells and whose ids
are numbers.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from hub.cli.main import app
from hub.store import open_store
from hub.store.models import AgencyRecord, IngestBatch, QuarantineItem, RawLanding

runner = CliRunner()
AGENCY = "330800-sl"
RECEIPT = {
    "recommendation_number": "柯检行公建〔2018〕3号",
    "receiving_agency": "衢州市柯城区水利局",
    "received_date": "2018年3月10日",
    "receiver": "王建国",
    "delivery_method": "邮寄送达",
}


@pytest.fixture
def store(use_store: str):  # type: ignore[no-untyped-def]
    from hub.agencies import import_agencies, load_registry_file
    from hub.samples import SAMPLE_AGENCIES

    factory = open_store()
    with factory() as session, session.begin():
        import_agencies(session, load_registry_file(SAMPLE_AGENCIES), actor="test")
    return factory


def _load(*args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = runner.invoke(app, ["records", "load", *args, "--json"])
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.stdout)


def test_mixed_jsonl_counts_add_up_and_every_reject_names_line_and_field(store, tmp_path: Path) -> None:
    lines = [
        {**RECEIPT, "source_record_id": "SD-001"},
        {**RECEIPT, "source_record_id": "SD-002", "received_date": "2018-02-30"},  # no such day
        "{broken",
        {**RECEIPT},  # no source_record_id
        {**RECEIPT, "source_record_id": "SD-003", "source_agency": "330800-sthj"},  # envelope in the file
        {**RECEIPT, "source_record_id": "SD-001"},  # the same record again
        {**RECEIPT, "source_record_id": "SD-004", "delivery_method": "飞鸽传书"},  # not a delivery method
        {**RECEIPT, "source_record_id": "SD-005", "delivery_method": None},  # an empty cell is absent
    ]
    path = tmp_path / "送达回证.jsonl"
    path.write_text(
        "\n".join(line if isinstance(line, str) else json.dumps(line, ensure_ascii=False) for line in lines) + "\n",
        encoding="utf-8",
    )
    code, report = _load("agency.receipt", str(path), "--agency", AGENCY)
    assert code == 1
    assert (report["received"], report["loaded"], report["duplicates"], report["quarantined"]) == (8, 2, 1, 5)
    assert report["format"] == "jsonl" and report["encoding"] == "utf-8" and report["stream"] == "file:agency.receipt"
    by_line = {(e["line"], e["field"], e["code"]) for e in report["errors"]}
    assert by_line == {
        (2, "received_date", "date.invalid"),
        (3, "", "json.invalid"),
        (4, "source_record_id", "source_id.missing"),
        (5, "source_agency", "envelope.supplied"),
        (7, "delivery_method", "literal_error"),
    }
    assert all(e["zh"] and e["en"] and e["zh"] != e["en"] for e in report["errors"])
    assert "王建国" not in json.dumps(report, ensure_ascii=False)  # reasons never carry values
    with store() as session:
        stored = (
            session.execute(select(AgencyRecord).where(AgencyRecord.stream == "file:agency.receipt")).scalars().all()
        )
        assert sorted(r.source_id for r in stored) == ["SD-001", "SD-005"]
        assert {r.agency_code for r in stored} == {AGENCY}
        assert session.scalar(select(func.count()).select_from(QuarantineItem)) == report["quarantined"]
        landing = session.execute(select(RawLanding)).scalar_one()
        assert landing.request["file"] == "送达回证.jsonl" and landing.size == path.stat().st_size
        batch = session.get(IngestBatch, report["batch"])
        assert batch is not None and batch.received == 8 and batch.quarantined == report["quarantined"]


def test_gb18030_csv_loads_and_a_second_load_is_all_duplicates(store, tmp_path: Path) -> None:
    header = ["source_record_id", *RECEIPT]
    rows = [header] + [[f"SD-{n:03d}", *RECEIPT.values()] for n in range(1, 21)]
    path = tmp_path / "receipts.csv"
    path.write_bytes(("\r\n".join(",".join(r) for r in rows) + "\r\n").encode("gb18030"))
    code, report = _load("agency.receipt", str(path), "--agency", AGENCY)
    assert code == 0, report["errors"]
    assert (report["received"], report["loaded"], report["quarantined"]) == (20, 20, 0)
    assert report["format"] == "csv" and report["encoding"] == "gb18030"
    code, again = _load("agency.receipt", str(path), "--agency", AGENCY)
    assert code == 0 and (again["loaded"], again["duplicates"]) == (0, 20)
    changed = tmp_path / "receipts-corrected.csv"
    rows[5][header.index("receiver")] = "王建华"
    changed.write_bytes(("\n".join(",".join(r) for r in rows) + "\n").encode("utf-8-sig"))
    code, third = _load("agency.receipt", str(changed), "--agency", AGENCY)
    assert code == 0 and (third["loaded"], third["duplicates"], third["encoding"]) == (1, 19, "utf-8")
    with store() as session:
        versions = session.execute(
            select(AgencyRecord.version, AgencyRecord.is_current).where(AgencyRecord.source_id == "SD-005")
        ).all()
        assert sorted(versions) == [(1, False), (2, True)]


def test_xlsx_with_date_cells_and_numeric_ids(store, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["回证清单（导出）"])  # a title row above the header is not the header…
    sheet.delete_rows(1)  # … so agencies delete it; the sheet starts with the header
    sheet.append(["source_record_id", "recommendation_number", "receiving_agency", "received_date", "receiver"])
    sheet.append([20180001, "柯检行公建〔2018〕3号", "衢州市柯城区水利局", datetime(2018, 3, 10), "王建国"])
    sheet.append([])
    sheet.append([20180002, "柯检行公建〔2018〕4号", "衢州市柯城区水利局", datetime(2018, 3, 11), "李四"])
    sheet.append([20180003, "柯检行公建〔2018〕5号", "衢州市柯城区水利局", "2018-13-01", "张三"])
    path = tmp_path / "receipts.xlsx"
    book.save(path)
    code, report = _load("agency.receipt", str(path), "--agency", AGENCY)
    assert code == 1
    assert (report["received"], report["loaded"], report["quarantined"], report["format"]) == (3, 2, 1, "xlsx")
    assert [(e["line"], e["field"], e["source_record_id"]) for e in report["errors"]] == [
        (5, "received_date", "20180003")
    ]
    with store() as session:
        ids = set(session.execute(select(AgencyRecord.source_id)).scalars())
        assert ids == {"20180001", "20180002"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nr.nothing", "{file}", "--agency", AGENCY], "unknown record kind"),
        (["agency.receipt", "{file}", "--agency", "330800-nowhere"], "not in the agency registry"),
        (["agency.receipt", "{file}", "--agency", "bad code!"], "malformed"),
        (["agency.receipt", "{missing}", "--agency", AGENCY], "no such file"),
        (["agency.receipt", "{xls}", "--agency", AGENCY], "cannot read the Excel workbook"),
    ],
)
def test_usage_errors_exit_2_bilingual_and_store_nothing(store, tmp_path: Path, args: list[str], message: str) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({**RECEIPT, "source_record_id": "SD-1"}, ensure_ascii=False) + "\n", encoding="utf-8")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 this is not a workbook")
    paths = {"file": str(good), "missing": str(tmp_path / "missing.csv"), "xls": str(broken)}
    result = runner.invoke(app, ["records", "load", *[a.format(**paths) for a in args]])
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output
    assert any("\u4e00" <= ch <= "\u9fff" for ch in result.stderr)  # and in Chinese
    with store() as session:
        assert session.scalar(select(func.count()).select_from(IngestBatch)) == 0


def test_quarantined_file_records_can_be_replayed(store, tmp_path: Path) -> None:
    path = tmp_path / "receipts.jsonl"
    path.write_text(
        json.dumps({**RECEIPT, "source_record_id": "SD-9", "received_date": "2018-02-30"}, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    code, report = _load("agency.receipt", str(path), "--agency", AGENCY)
    assert code == 1 and report["quarantine_ids"]
    replayed = runner.invoke(app, ["quarantine", "replay", str(report["quarantine_ids"][0])])
    assert replayed.exit_code == 1 and "still_held" in replayed.stdout  # still an impossible date, and it says so


def test_a_file_with_an_older_copy_of_a_record_leaves_the_newer_version_current(store, tmp_path: Path) -> None:
    """A workbook re-sent from an old export: rows whose source_updated_at is older than the stored version's
    are duplicates; a row with an unreadable time is quarantined with the column named."""
    newer = {
        **RECEIPT,
        "source_record_id": "SD-9",
        "received_date": "2018-03-12",
        "source_updated_at": "2026-12-01 09:00:00",
    }
    first = tmp_path / "newer.jsonl"
    first.write_text(json.dumps(newer, ensure_ascii=False) + "\n", encoding="utf-8")
    code, out = _load("agency.receipt", str(first), "--agency", AGENCY)
    assert (code, out["loaded"], out["duplicates"]) == (0, 1, 0)

    older = {**newer, "received_date": "2018-03-10", "source_updated_at": "2026-11-30T18:00:00+08:00"}
    bad_time = {**RECEIPT, "source_record_id": "SD-10", "source_updated_at": "上周三"}
    second = tmp_path / "older.jsonl"
    second.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in (older, bad_time)) + "\n", encoding="utf-8")
    code, out = _load("agency.receipt", str(second), "--agency", AGENCY)
    assert (code, out["received"], out["loaded"], out["duplicates"], out["quarantined"]) == (1, 2, 0, 1, 1)
    assert [(e["line"], e["field"], e["code"]) for e in out["errors"]] == [
        (2, "source_updated_at", "source_updated_at.invalid")
    ]
    with store() as session:
        rows = session.execute(
            select(AgencyRecord.version, AgencyRecord.is_current, AgencyRecord.payload, AgencyRecord.source_update_time)
            .where(AgencyRecord.source_id == "SD-9")
            .order_by(AgencyRecord.version)
        ).all()
    assert [(v, cur, p["received_date"], t) for v, cur, p, t in rows] == [
        (1, True, "2018-03-12", "2026-12-01T09:00:00+08:00")
    ]
    assert "source_updated_at" not in rows[0][2]  # not a contract field: kept beside the payload, not in it
