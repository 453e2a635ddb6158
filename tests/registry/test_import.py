"""Case-registry import: idempotent, precise about bad lines, loses no good line."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from hub.cli.main import app
from hub.registry.importer import import_cases, read_lines
from hub.samples import SAMPLE_CASES
from hub.store import open_store
from hub.store.models import Agency, AuditEntry, Case, Party, Recommendation, Reply

SAMPLE = [json.loads(line) for line in SAMPLE_CASES.read_text(encoding="utf-8").splitlines()]


def _write(path: Path, rows: list) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows), encoding="utf-8"
    )
    return path


def _count(factory, model) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_sample_import_matches_the_file(store_url: str) -> None:
    factory = open_store(store_url)
    report = import_cases(read_lines(SAMPLE_CASES), factory)
    assert (report.received, report.inserted, report.rejected) == (len(SAMPLE), len(SAMPLE), 0)
    assert report.balanced
    with factory() as s:
        by_domain = dict(s.execute(select(Case.domain, func.count()).group_by(Case.domain)).all())
        assert by_domain == dict(Counter(c["domain"] for c in SAMPLE))
        recs = s.scalar(select(func.count()).select_from(Recommendation))
        assert recs == sum(len(c["recommendations"]) for c in SAMPLE)
        replies = s.scalar(select(func.count()).select_from(Reply))
        assert replies == sum(len(r["replies"]) for c in SAMPLE for r in c["recommendations"])
        urgent = s.scalar(select(func.count()).where(Recommendation.urgent.is_(True)))
        assert urgent == sum(r["urgent"] for c in SAMPLE for r in c["recommendations"])
        case = s.execute(select(Case).where(Case.case_id == SAMPLE[0]["case_id"])).scalar_one()
        assert case.recommendations[0].rec_number == SAMPLE[0]["recommendations"][0]["rec_id"]


def test_reimport_changes_nothing(store_url: str) -> None:
    factory = open_store(store_url)
    import_cases(read_lines(SAMPLE_CASES), factory)
    audits = _count(factory, AuditEntry)
    with factory() as s:
        before = s.execute(text("SELECT case_id, content_hash, updated_at FROM cases ORDER BY case_id")).all()
    report = import_cases(read_lines(SAMPLE_CASES), factory)
    assert report.unchanged == len(SAMPLE) and report.inserted == report.updated == report.rejected == 0
    assert _count(factory, AuditEntry) == audits
    with factory() as s:
        after = s.execute(text("SELECT case_id, content_hash, updated_at FROM cases ORDER BY case_id")).all()
    assert before == after


def test_changed_line_updates_one_case_with_an_audit_entry(store_url: str, tmp_path: Path) -> None:
    factory = open_store(store_url)
    import_cases(read_lines(SAMPLE_CASES), factory)
    changed = json.loads(json.dumps(SAMPLE))
    target = next(c for c in changed if c["recommendations"] and c["recommendations"][0]["replies"])
    target["title"] += "（补充）"
    rec = target["recommendations"][0]
    rec["received_on"] = rec["issued_on"]  # a corrected receipt date
    report = import_cases(read_lines(_write(tmp_path / "changed.jsonl", changed)), factory)
    assert (report.updated, report.unchanged, report.inserted) == (1, len(SAMPLE) - 1, 0)
    with factory() as s:
        entry = s.execute(select(AuditEntry).where(AuditEntry.action == "case.update")).scalar_one()
        assert entry.object_id == target["case_id"]
        assert entry.detail["changed_fields"] == ["recommendations", "title"]
        row = s.execute(select(Recommendation).where(Recommendation.rec_number == rec["rec_id"])).scalar_one()
        assert row.received_on.isoformat() == rec["issued_on"]
        assert len(row.replies) == len(rec["replies"])  # replaced, not doubled


BAD_LINES = [
    ("{not json", "(line)", "JSON"),
    ("[1, 2]", "(line)", "JSON 对象"),
    ({"title": "x"}, "case_id", "缺少必填字段"),
    ({"domain": "weather"}, "domain", "取值不在允许范围内"),
    ({"opened_on": "2018-02-30"}, "opened_on", "日期"),
    ({"region_code": "33080"}, "region_code", "6位数字"),
    ({"outcomes": {"money_recovered_yuan": -5}}, "outcomes.money_recovered_yuan", "负数"),
    (
        {"recommendations": [{"rec_id": "R1", "agency": "A", "issued_on": "2018-05-01", "received_on": "2018-04-01"}]},
        "recommendations[0]",
        "received_on",
    ),
    (
        {
            "recommendations": [
                {
                    "rec_id": "R2",
                    "agency": "A",
                    "issued_on": "2018-05-01",
                    "received_on": "2018-05-03",
                    "replies": [{"replied_on": "2018-05-02"}],
                }
            ]
        },
        "recommendations[0]",
        "replied_on",
    ),
    (
        {"recommendations": [{"rec_id": "R3", "agency": "A", "issued_on": "2018-05-01", "urgent": "maybe"}]},
        "recommendations[0].urgent",
        "true",
    ),
]


def _case(n: int, **overrides) -> dict:
    base = {
        "case_id": f"T-{n:03d}",
        "title": "测试案件",
        "domain": "ecology",
        "procedure": "admin_pre_litigation",
        "region_code": "330802",
        "district": "柯城区",
        "opened_on": "2018-04-02",
        "status": "open",
        "procurator": "张三",
        "parties": [],
        "recommendations": [],
        "outcomes": {"land_restored_mu": 0, "waste_removed_t": 0, "money_recovered_yuan": 0},
    }
    base.update(overrides)
    return base


def test_bad_lines_are_reported_precisely_and_good_lines_kept(store_url: str, tmp_path: Path) -> None:
    rows: list = [_case(0)]
    for i, (bad, _field, _reason) in enumerate(BAD_LINES, start=1):
        rows.append(
            bad
            if isinstance(bad, str)
            else (
                _case(i, **bad)
                if "title" not in bad or len(bad) > 1
                else {k: v for k, v in _case(i).items() if k != "case_id"}
            )
        )
    rows.append(_case(99))
    path = _write(tmp_path / "mixed.jsonl", rows)
    report = import_cases(read_lines(path), open_store(store_url))
    assert report.inserted == 2 and report.rejected == len(BAD_LINES) and report.balanced
    by_line = {}
    for error in report.errors:
        by_line.setdefault(error.line, []).append(error)
    for line_no, (_bad, field, reason) in enumerate(BAD_LINES, start=2):
        errors = by_line[line_no]
        assert any(e.field == field and reason in (e.reason_zh + e.reason_en) for e in errors), (line_no, errors)
        assert all(e.reason_en for e in errors)  # both languages present
    with open_store(store_url)() as s:
        assert sorted(s.scalars(select(Case.case_id))) == ["T-000", "T-099"]


def test_duplicate_lines_within_a_file(store_url: str, tmp_path: Path) -> None:
    a = _case(1)
    b = _case(1, title="另一个标题")
    report = import_cases(read_lines(_write(tmp_path / "d.jsonl", [a, a, b])), open_store(store_url))
    assert (report.inserted, report.duplicates, report.rejected) == (1, 1, 1)
    assert report.errors[0].line == 3 and report.errors[0].field == "case_id"


def test_recommendation_number_owned_by_another_case_is_rejected(store_url: str, tmp_path: Path) -> None:
    rec = {
        "rec_id": "柯检行公建〔2018〕3号",
        "agency": "衢州市柯城区水利局",
        "issued_on": "2018-04-10",
        "received_on": "2018-04-12",
        "urgent": False,
        "copied_to": [],
        "replies": [],
    }
    factory = open_store(store_url)
    import_cases(read_lines(_write(tmp_path / "a.jsonl", [_case(1, recommendations=[rec])])), factory)
    report = import_cases(read_lines(_write(tmp_path / "b.jsonl", [_case(2, recommendations=[rec])])), factory)
    assert report.rejected == 1 and "rec_id" in report.errors[0].field


def test_unknown_agency_is_auto_registered_with_a_warning(store_url: str, tmp_path: Path) -> None:
    rec = {"rec_id": "X〔2018〕1号", "agency": "衢州市柯城区水利局", "issued_on": "2018-04-10", "received_on": None}
    report = import_cases(
        read_lines(_write(tmp_path / "a.jsonl", [_case(1, recommendations=[rec])])), open_store(store_url)
    )
    assert report.inserted == 1 and any("auto-registered" in w for w in report.warnings)
    with open_store(store_url)() as s:
        agency = s.execute(select(Agency)).scalar_one()
        assert (agency.kind, agency.registered) == ("water", False)


def test_invalid_check_character_is_a_warning_not_a_loss(store_url: str, tmp_path: Path) -> None:
    party = {
        "name": "衢州某房地产开发有限公司",
        "kind": "company",
        "credit_code": "91330800MA28F0XXXX",
        "id_number": None,
        "address": "浙江省衢州市柯城区",
    }
    report = import_cases(read_lines(_write(tmp_path / "a.jsonl", [_case(1, parties=[party])])), open_store(store_url))
    assert report.inserted == 1 and any("parties[0].credit_code" in w for w in report.warnings)


def test_personal_data_is_not_readable_in_the_store(store_url: str) -> None:
    factory = open_store(store_url)
    import_cases(read_lines(SAMPLE_CASES), factory)
    secrets_ = set()
    for case in SAMPLE:
        secrets_.add(case["procurator"])
        for p in case["parties"]:
            if p["kind"] == "person":
                secrets_.update(v for v in (p["name"], p["id_number"], p.get("phone"), p["address"]) if v)
    assert len(secrets_) > 20
    with factory() as s:
        dump = []
        for table in ("cases", "parties", "audit_log", "recommendations", "replies"):
            dump += [str(row) for row in s.execute(text(f"SELECT * FROM {table}")).all()]
        assert s.scalar(select(func.count()).where(Party.name_enc.is_not(None))) > 0
    blob = "\n".join(dump)
    leaked = [v for v in secrets_ if v in blob]
    assert leaked == []
    if store_url.startswith("sqlite"):
        from hub.store.db import get_engine

        get_engine(store_url).dispose()
        db_file = Path(store_url.split("///", 1)[1])
        raw = b"".join(p.read_bytes() for p in db_file.parent.glob(db_file.name + "*"))
        assert [v for v in secrets_ if v.encode("utf-8") in raw] == []


runner = CliRunner()


def test_cli_exit_status_and_json_report(use_store: str, tmp_path: Path) -> None:
    good = _write(tmp_path / "good.jsonl", [_case(1), _case(2)])
    result = runner.invoke(app, ["cases", "import", str(good), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["inserted"] == 2
    mixed = _write(tmp_path / "mixed.jsonl", [_case(3), {"case_id": "T-004"}])
    result = runner.invoke(app, ["cases", "import", str(mixed)])
    assert result.exit_code == 1
    assert "第2行 line 2" in result.output and "title" in result.output
    result = runner.invoke(app, ["status", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["cases_total"] == 3


def test_cli_missing_file_is_a_usage_error(use_store: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["cases", "import", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2


@pytest.mark.parametrize("bom", [True, False])
def test_bom_is_accepted(store_url: str, tmp_path: Path, bom: bool) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(("\ufeff" if bom else "").encode() + json.dumps(_case(1), ensure_ascii=False).encode())
    assert import_cases(read_lines(path), open_store(store_url)).inserted == 1
