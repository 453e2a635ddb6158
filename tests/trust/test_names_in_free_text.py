"""Names of natural persons inside free text: a held-out registry whose titles name their person parties leaves none
of those names or ID numbers readable — not in the raw SQLite file, not in any PostgreSQL table, not in any report
format, not in any response to the congress role — while a supervisor who reveals (audited) reads the title.

The titles are not from the sample generator: they are published case titles, as procuratorates and courts name
public-interest cases. Where the publication already masked a name (袁某某), an invented name of the same shape
stands in for it, so the title is what the case system holds before publication:

* 余水生非法狩猎刑事附带民事公益诉讼案 — the held-out 2018 registry of the trust probe;
* 吴湘等十二人非法捕捞水产品刑事附带民事公益诉讼案 — 最高人民检察院, 检察机关服务保障长江经济带发展典型案例;
* 王雪青非法捕捞水产品刑事附带民事公益诉讼案 — 西宁市城西区人民检察院 (press report of the hearing);
* 曾云侵害英烈名誉案 — 最高人民检察院第十三批指导性案例 (检例第51号);
* 张永明、毛伟明、张鹭故意损毁三清山巨蟒峰民事公益诉讼案 — 最高人民法院指导性案例208号;
* 江苏省常州市金坛区人民检察院诉袁某某等21人非法收购、出售珍贵、濒危野生动物及制品刑事附带民事公益诉讼案 —
  最高人民检察院, 检察机关野生动物保护公益诉讼典型案例 (2020-03);
* 鄢某某、蔡某某非法猎捕、运输、出售珍贵、濒危野生动物、非法狩猎刑事附带民事公益诉讼案 — 汉寿县人民检察院;
* 赵某某、周某、张某某非法狩猎刑事附带民事公益诉讼案 — 曹县人民检察院 (齐鲁网, 2020-09-29);
* 刘长君诉刘娥清… — the 黑龙江 court's publishing rules' own example of two parties of one surname (刘x甲, 刘x乙);
* a compound surname, a transcribed Uyghur name, and an ID number and a phone number written into a title.
"""

from __future__ import annotations

import io
import json
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from hub.free_text import mask_text, public_name, public_names
from hub.registry.importer import import_cases, read_lines
from hub.store.db import open_store
from hub.store.models import AgencyRecord, AuditEntry, Base, Case
from tests.api.conftest import build_client, make_tokens


def _case(
    n: int, title: str, persons: list[str], *, region: str = "330802", district: str = "柯城区"
) -> dict[str, Any]:
    parties = [
        {
            "name": name,
            "kind": "person",
            "id_number": f"3308{n:02d}19{70 + i}0{(i % 9) + 1}15{n:02d}{i}X",
            "phone": f"139{n:04d}{i:04d}",
            "address": f"浙江省衢州市{district}某村{n}号",
        }
        for i, name in enumerate(persons)
    ]
    line: dict[str, Any] = {
        "case_id": f"HO-2018-{n:03d}",
        "title": title,
        "domain": "ecology",
        "procedure": "criminal_incidental_civil",
        "region_code": region,
        "district": district,
        "opened_on": "2018-05-02",
        "status": "open",
        "parties": parties,
        "outcomes": {"land_restored_mu": 0, "waste_removed_t": 0, "money_recovered_yuan": 26600},
    }
    if n % 3 == 0:  # some cases also carry a recommendation, so they reach clock lists and the agency league
        line["procedure"] = "admin_pre_litigation"
        line["recommendations"] = [
            {
                "rec_id": f"柯检行公建〔2018〕{700 + n}号",
                "agency": "衢州市柯城区农业农村局",
                "issued_on": "2018-05-10",
                "received_on": "2018-05-12",
                "replies": [{"replied_on": "2018-08-20", "has_evidence": True}],
            }
        ]
    return line


HELD_OUT = [
    _case(1, "余水生非法狩猎刑事附带民事公益诉讼案", ["余水生"]),
    _case(2, "吴湘等十二人非法捕捞水产品刑事附带民事公益诉讼案", ["吴湘", "王光飞", "陈科"]),
    _case(3, "王雪青非法捕捞水产品刑事附带民事公益诉讼案", ["王雪青"]),
    _case(4, "曾云侵害英烈名誉案", ["曾云"]),
    _case(5, "张永明、毛伟明、张鹭故意损毁三清山巨蟒峰民事公益诉讼案", ["张永明", "毛伟明", "张鹭"]),
    _case(
        6,
        "江苏省常州市金坛区人民检察院诉袁立军等21人非法收购、出售珍贵、濒危野生动物及制品刑事附带民事公益诉讼案",
        ["袁立军", "杜明"],
    ),
    _case(
        7,
        "鄢国华、蔡志勇非法猎捕、运输、出售珍贵、濒危野生动物、非法狩猎刑事附带民事公益诉讼案",
        ["鄢国华", "蔡志勇"],
    ),
    _case(8, "赵德林、周强、张建国非法狩猎刑事附带民事公益诉讼案", ["赵德林", "周强", "张建国"]),
    _case(9, "刘长君、刘娥清非法采矿刑事附带民事公益诉讼案", ["刘长君", "刘娥清"]),
    _case(10, "欧阳春晓非法占用农用地刑事附带民事公益诉讼案", ["欧阳春晓"]),
    _case(11, "阿布都热合曼·买买提非法收购珍贵、濒危野生动物案", ["阿布都热合曼·买买提"]),
    _case(12, "徐文彬（身份证号330802198703151236，电话13857012345）滥伐林木刑事附带民事公益诉讼案", ["徐文彬"]),
]
TITLE_ID, TITLE_PHONE = "330802198703151236", "13857012345"


def _personal_values() -> list[str]:
    values = {TITLE_ID, TITLE_PHONE}
    for line in HELD_OUT:
        for party in line["parties"]:
            values.update((party["name"], party["id_number"], party["phone"]))
    return sorted(values)


@pytest.fixture
def held_out(store_url: str, tmp_path: Path) -> str:
    from hub.agencies import SAMPLE_AGENCIES, import_agencies, load_registry_file

    factory = open_store(store_url)
    with factory() as s, s.begin():
        import_agencies(s, load_registry_file(SAMPLE_AGENCIES))
    path = tmp_path / "held-out.jsonl"
    path.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in HELD_OUT), encoding="utf-8")
    report = import_cases(read_lines(path), factory, actor="test")
    assert (report.inserted, report.rejected) == (len(HELD_OUT), 0), report.as_dict()
    return store_url


def _store_text(url: str) -> str:
    """Everything the store holds as readable text: the raw SQLite file (and its WAL), or every PostgreSQL table."""
    if url.startswith("sqlite"):
        from hub.store.db import reset_caches

        reset_caches()  # close connections: the WAL is checkpointed into the file
        path = Path(url.split("///", 1)[1])
        blobs = [p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists()]
        return b"".join(blobs).decode("utf-8", "replace")
    with open_store(url)() as s:
        parts = [
            str(row[0])
            for table in Base.metadata.sorted_tables
            for row in s.execute(text(f"SELECT CAST(t AS text) FROM {table.name} t"))
        ]
    assert len(parts) > 50
    return "\n".join(parts)


def _leaks(haystack: str) -> list[str]:
    return [v for v in _personal_values() if v in haystack]


def test_public_forms_follow_the_courts_publishing_rules() -> None:
    assert public_name("余水生") == "余某某"
    assert public_name("曾云") == "曾某"
    assert public_name("欧阳春晓") == "欧阳某某"
    assert public_name("司马") == "司某"
    assert public_name("阿布都热合曼·买买提") == "阿某"
    assert public_names(["刘长君", "刘娥清", "王光飞"]) == {
        "刘长君": "刘某某甲",
        "刘娥清": "刘某某乙",
        "王光飞": "王某某",
    }
    assert mask_text("余水生非法狩猎刑事附带民事公益诉讼案", ["余水生"]) == "余某某非法狩猎刑事附带民事公益诉讼案"
    assert mask_text("联系电话0570-3012345", []) == "联系电话[电话已隐去]"


def test_held_out_titles_leave_no_name_or_id_number_readable_in_the_store(held_out: str) -> None:
    with open_store(held_out)() as s:
        titles = {k: v for k, v in s.execute(select(Case.case_id, Case.title)).all()}
    assert titles["HO-2018-001"] == "余某某非法狩猎刑事附带民事公益诉讼案"
    assert titles["HO-2018-004"] == "曾某侵害英烈名誉案"
    assert titles["HO-2018-009"] == "刘某某甲、刘某某乙非法采矿刑事附带民事公益诉讼案"
    assert titles["HO-2018-010"] == "欧阳某某非法占用农用地刑事附带民事公益诉讼案"
    assert "[身份号码已隐去]" in titles["HO-2018-012"] and "[电话已隐去]" in titles["HO-2018-012"]
    assert _leaks(_store_text(held_out)) == []


def test_no_report_format_and_no_congress_response_names_them(held_out: str, tmp_path: Path, need_tool: Any) -> None:
    import datetime as dt

    from hub.reports.figures import ReportQuery, compute_figures
    from hub.reports.output import render

    with open_store(held_out)() as s:
        figures = compute_figures(s, ReportQuery.build(year=2018, today=dt.date(2026, 11, 23)))
    for fmt in ("json", "csv", "xlsx", "html", "pdf"):
        assert _leaks(_as_text(render(figures, fmt), fmt, tmp_path, need_tool)) == [], fmt

    tokens = make_tokens(tmp_path)
    with build_client(held_out, tokens) as client:
        congress = {"Authorization": f"Bearer {tokens.congress}"}
        answered = 0
        for path, ops in client.get("/openapi.json").json()["paths"].items():
            if "get" not in ops:
                continue
            path = path.replace("{view}", "overdue").replace("{name}", "domain").replace("{case_id}", "HO-2018-001")
            res = client.get(path, params={"from": "2018-01-01", "to": "2026-11-23"}, headers=congress)
            assert _leaks(res.text) == [], path
            answered += res.status_code == 200
        assert answered >= 6
        for fmt in ("csv", "xlsx", "html", "pdf"):
            res = client.get("/api/v1/report", params={"year": 2018, "format": fmt}, headers=congress)
            assert res.status_code == 200
            assert _leaks(_as_text(res.content, fmt, tmp_path, need_tool)) == [], fmt

        # A supervisor sees the public form; revealing shows the title as filed, and is audited.
        supervisor = {"Authorization": f"Bearer {tokens.kecheng}"}
        masked = client.get("/api/v1/cases/HO-2018-001", headers=supervisor).json()
        assert masked["title"] == "余某某非法狩猎刑事附带民事公益诉讼案"
        listed = client.get("/api/v1/cases", params={"year": 2018}, headers=supervisor)
        assert _leaks(listed.text) == [] and "余某某" in listed.text
        shown = client.get("/api/v1/cases/HO-2018-001", params={"reveal": "true"}, headers=supervisor).json()
        assert shown["title"] == "余水生非法狩猎刑事附带民事公益诉讼案"
    with open_store(held_out)() as s:
        entry = s.execute(
            select(AuditEntry).where(AuditEntry.action == "personal_data.access", AuditEntry.object_id == "HO-2018-001")
        ).scalar_one()
    assert "title" in entry.detail["fields"]


def _as_text(body: bytes, fmt: str, tmp_path: Path, need_tool: Any) -> str:
    if fmt == "xlsx":
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    if fmt == "pdf":
        pdf = tmp_path / "r.pdf"
        pdf.write_bytes(body)
        out = subprocess.run([need_tool("pdftotext", "poppler-utils"), str(pdf), "-"], capture_output=True, check=True)
        return out.stdout.decode("utf-8")
    return body.decode("utf-8", "replace")


def test_reimport_keeps_titles_masked_and_unchanged(held_out: str, tmp_path: Path) -> None:
    path = tmp_path / "again.jsonl"
    path.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in HELD_OUT), encoding="utf-8")
    report = import_cases(read_lines(path), open_store(held_out), actor="test")
    assert (report.unchanged, report.updated) == (len(HELD_OUT), 0)


def test_an_old_store_is_migrated_to_zero_readable_names(sqlite_store_at_0006: str) -> None:
    from hub.store.db import reset_caches, upgrade
    from hub.store.integrity import verify_rows

    upgrade(sqlite_store_at_0006)
    reset_caches()
    factory = open_store(sqlite_store_at_0006)
    with factory() as s:
        case = s.execute(select(Case)).scalar_one()
        record = s.execute(select(AgencyRecord)).scalar_one()
        assert case.title == "余某某非法狩猎刑事附带民事公益诉讼案" and case.title_enc
        assert "余某某" in record.payload["violation_facts"]
        assert verify_rows(s).ok
    assert [v for v in ("余水生", "330824195810038785") if v in _store_text(sqlite_store_at_0006)] == []


@pytest.fixture
def sqlite_store_at_0006(tmp_path: Path) -> str:
    """A store written before names in free text were masked: title and facts in clear (as the 0006 schema held)."""
    import hashlib

    from hub.personal_data import blind_index, encrypt
    from hub.store.db import reset_caches, upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0006_sla_speed")
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    facts = "余水生（身份证号330824195810038785）在禁猎期内使用禁用工具猎捕野生鸟类。"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO cases (id, case_id, title, domain, procedure, region_code, district, opened_on, status, "
                "land_restored_mu, waste_removed_t, money_recovered_yuan, content_hash, field_digests, created_at, "
                "updated_at) VALUES (1, 'OLD-2018-001', '余水生非法狩猎刑事附带民事公益诉讼案', 'ecology', "
                "'criminal_incidental_civil', '330824', '开化县', '2018-05-02', 'open', 0, 0, 0, 'x', '{}', "
                "'2018-05-02 00:00:00', '2018-05-02 00:00:00')"
            )
        )
        conn.execute(
            text("INSERT INTO parties (case_pk, position, kind, name_enc, name_hmac) VALUES (1, 0, 'person', :n, :h)"),
            {"n": encrypt("余水生", "parties.name"), "h": blind_index("person_name", "余水生")},
        )
        payload = {"doc_number": "开环罚〔2018〕3号", "party_type": "natural_person", "violation_facts": facts}
        conn.execute(
            text(
                "INSERT INTO agency_records (agency_code, stream, source_id, version, is_current, kind, schema_version, "
                "payload, personal_enc, content_hash, fetched_at, loaded_at) VALUES ('330824-hb', 'penalties', 'P-1', "
                "1, 1, 'env.penalty', '1.0', :p, :e, :c, '2018-06-01 00:00:00', '2018-06-01 00:00:00')"
            ),
            {
                "p": json.dumps(payload, ensure_ascii=False),
                "e": encrypt(json.dumps({"party_name": "余水生"}, ensure_ascii=False), "agency_records.personal_enc"),
                "c": hashlib.sha256(b"old").hexdigest(),
            },
        )
    engine.dispose()
    reset_caches()
    return url


def _id_number(first17: str) -> str:
    """A resident ID number with its GB 11643-1999 check character."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


def test_agency_record_facts_naming_their_person_are_stored_masked(store_url: str, monkeypatch: Any) -> None:
    from hub.ingest.batch_check import BatchVerdict
    from hub.ingest.incoming import Incoming
    from hub.ingest.loader import load_batch
    from hub.ingest.personal_split import merge_personal
    from hub.ingest.sealing import open_json
    from tests.ingest.conftest import FETCHED, spec

    monkeypatch.setattr("hub.ingest.loader.check_batch", lambda kind, rows, prev=None: BatchVerdict(False, {}))
    id_number = _id_number("33082419581003878")

    def penalty(n: int, name: str, facts: str) -> Incoming:
        mapped = {
            "doc_number": f"开环罚〔2018〕{n}号",
            "party_type": "natural_person",
            "party_name": name,
            "party_id_number": id_number,
            "violation_facts": facts,
            "legal_basis": "《中华人民共和国野生动物保护法》第四十六条",
            "decision_date": "2018-06-01",
            "fine_amount_yuan": "2000",
            "region_code": "330824",
        }
        return Incoming(dict(mapped, id=f"P-{n}"), f"P-{n}", mapped, FETCHED, cursor=f"2018-06-0{n}T09:00:00+08:00")

    batch = [
        penalty(1, "余水生", f"余水生（身份证号{id_number}）于禁猎期内在开化县华埠镇山林使用禁用工具猎捕野生鸟类。"),
        penalty(2, "王雪青", "当事人于禁渔期在禁渔区捕捞水产品。"),  # facts naming nobody: stored as they are
        *[penalty(n, f"周{n}强", f"周{n}强擅自收购野生动物。") for n in range(3, 8)],  # fast path of a batch
    ]
    factory = open_store(store_url)
    kw = {"agency_code": "330824-hb", "stream": "penalties", "kind": "env.penalty"}
    with factory() as s, s.begin():
        outcome = load_batch(s, spec(**kw), batch)
    assert outcome.loaded == len(batch), outcome
    with factory() as s:
        rows = {r.source_id: r for r in s.execute(select(AgencyRecord)).scalars()}
    first = rows["P-1"]
    assert first.payload["violation_facts"].startswith("余某某（身份证号[身份号码已隐去]）于禁猎期内")
    personal = open_json(first.personal_enc, "agency_records.personal_enc")
    assert merge_personal(first.payload, personal)["violation_facts"] == batch[0].mapped["violation_facts"]
    assert rows["P-2"].payload["violation_facts"] == "当事人于禁渔期在禁渔区捕捞水产品。"
    assert all(rows[f"P-{n}"].payload["violation_facts"] == "周某某擅自收购野生动物。" for n in range(3, 8))
    text_of_store = json.dumps([r.payload for r in rows.values()], ensure_ascii=False)
    assert "余水生" not in text_of_store and id_number not in text_of_store
    with factory() as s, s.begin():  # the same records again: duplicates, not new versions
        again = load_batch(s, spec(**kw), batch)
    assert (again.loaded, again.duplicates) == (0, len(batch))


def test_escalation_notices_to_outside_bodies_carry_the_public_form(store_url: str, tmp_path: Path) -> None:
    """A live case whose title names its person (the white paper's 方某 mining case, name as filed) escalates;
    every notice the outbox renders — to the agency, its superior, the congress — says 方某某, never the name."""
    import datetime as dt

    from hub.agencies import SAMPLE_AGENCIES, import_agencies, load_registry_file
    from hub.notify.render import message_context as context_of
    from hub.notify.render import render
    from hub.store.models import OutboxMessage
    from sla.policy import load_policy
    from sla.sweep import sweep

    live = _case(13, "督促依法查处方国平非法采矿破坏矿山地质环境行政公益诉讼诉前程序案", ["方国平"], region="330803",
                 district="衢江区")  # fmt: skip
    live.update(opened_on="2026-06-01", procedure="admin_pre_litigation")
    live["recommendations"] = [
        {
            "rec_id": "衢江检行公建〔2026〕13号",
            "agency": "衢州市自然资源和规划局",
            "issued_on": "2026-06-28",
            "received_on": "2026-07-01",
            "replies": [],
        }
    ]
    factory = open_store(store_url)
    with factory() as s, s.begin():
        import_agencies(s, load_registry_file(SAMPLE_AGENCIES))
    path = tmp_path / "live.jsonl"
    path.write_text(json.dumps(live, ensure_ascii=False) + "\n", encoding="utf-8")
    assert import_cases(read_lines(path), factory, actor="test").inserted == 1
    sweep(factory, as_of=dt.date(2026, 11, 23), policy=load_policy())
    with factory() as s:
        messages = s.execute(select(OutboxMessage)).scalars().all()
        assert len(messages) >= 2
        texts = []
        for message in messages:
            rendered = render(message.payload["template"], context_of(s, message))
            texts.append(rendered.subject + "\n" + rendered.body)
    everything = "\n".join(texts)
    assert "方某某" in everything and "方国平" not in everything
    assert _leaks(everything) == []


def test_a_note_on_a_recorded_event_keeps_no_name_of_the_case(held_out: str) -> None:
    import datetime as dt

    from hub.store.models import SlaEvent
    from sla.clocks import record_event

    factory = open_store(held_out)
    with factory() as s, s.begin():
        record_event(
            s, case_id="HO-2018-003", kind="announcement", occurred_on=dt.date(2018, 6, 1), actor="test",
            note="在《检察日报》刊登公告，被告王雪青（电话13900030000）未到场",
        )  # fmt: skip
    with factory() as s:
        note = s.execute(select(SlaEvent.note)).scalar_one()
    assert note == "在《检察日报》刊登公告，被告王某某（电话[电话已隐去]）未到场"
