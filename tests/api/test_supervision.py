"""The morning list and the case timeline over HTTP: sections, counts, jurisdiction, no personal data, offline pages."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

AS_OF = "2026-11-23"


def test_morning_sections_hold_each_clock_once_and_counts_add_up(client: Any, tokens: Any, bearer: Any) -> None:
    body = client.get("/api/v1/morning", params={"as_of": AS_OF}, headers=bearer(tokens.admin)).json()
    assert [s["key"] for s in body["sections"]] == ["new", "due", "calendar_missing", "long_standing", "suspended"]
    assert body["since"] == "2026-11-16"  # default: the last 7 days
    keys = [i["clock_key"] for s in body["sections"] for i in s["items"]]
    assert keys and len(keys) == len(set(keys)) == body["total"]
    for name, rows in (("district", body["by_district"]), ("agency", body["by_agency"])):
        assert sum(r["total"] for r in rows) == body["total"], name
        for key in ("new", "due", "calendar_missing", "long_standing", "suspended"):
            section = next(s for s in body["sections"] if s["key"] == key)
            assert sum(r[key] for r in rows) == section["total"]
    per_district = Counter(i["district"] for s in body["sections"] for i in s["items"])
    assert {r["district"]: r["total"] for r in body["by_district"]} == dict(per_district)
    due = next(s for s in body["sections"] if s["key"] == "due")["items"]
    assert [i["deadline_official"] for i in due] == sorted(i["deadline_official"] for i in due)
    assert all(0 <= i["days_left"] <= 7 for i in due)
    missing = next(s for s in body["sections"] if s["key"] == "calendar_missing")["items"]
    assert missing and all(i["calendar_missing"] and i["calendar_missing_years"] for i in missing)
    new = next(s for s in body["sections"] if s["key"] == "new")["items"]
    changed = [i["last_escalated_on"] or i["breached_on"] for i in new]
    assert changed == sorted(changed, reverse=True)  # newest first


def test_morning_since_moves_items_between_new_and_long_standing(client: Any, tokens: Any, bearer: Any) -> None:
    def sections(since: str) -> dict[str, int]:
        body = client.get(
            "/api/v1/morning", params={"as_of": AS_OF, "since": since}, headers=bearer(tokens.admin)
        ).json()
        return {s["key"]: s["total"] for s in body["sections"]}

    early, late = sections("2026-01-01"), sections(AS_OF)
    assert early["new"] > late["new"]
    assert early["new"] + early["long_standing"] == late["new"] + late["long_standing"]
    bad = client.get("/api/v1/morning", params={"as_of": AS_OF, "since": "2026-12-01"}, headers=bearer(tokens.admin))
    assert bad.status_code == 422


def test_morning_is_limited_to_the_jurisdiction_and_refused_to_congress(client: Any, tokens: Any, bearer: Any) -> None:
    body = client.get("/api/v1/morning", params={"as_of": AS_OF}, headers=bearer(tokens.jiangshan)).json()
    regions = {i["region_code"] for s in body["sections"] for i in s["items"]}
    assert regions == {"330881"}
    assert client.get("/api/v1/morning", headers=bearer(tokens.congress)).status_code == 403
    other = client.get("/api/v1/morning", params={"district": "柯城区"}, headers=bearer(tokens.jiangshan))
    assert other.status_code == 403


def test_timeline_explains_each_deadline_and_carries_no_personal_data(
    client: Any, tokens: Any, bearer: Any, personal_values: list[str]
) -> None:
    res = client.get("/api/v1/cases/KC-2018-021/timeline", params={"as_of": AS_OF}, headers=bearer(tokens.admin))
    assert res.status_code == 200
    body = res.json()
    kinds = [e["kind"] for e in body["events"]]
    assert kinds[0] == "case_opened"
    assert {"recommendation_issued", "recommendation_received", "deadline"} <= set(kinds)
    assert [e["date"] for e in body["events"]] == sorted(e["date"] for e in body["events"])
    deadline = next(e for e in body["events"] if e["kind"] == "deadline")
    # Received 2018-07-19 (Jiangshan, Zhejiang): two months (法释〔2018〕6号 Art. 21(2)) end on 2018-09-19, a Wednesday.
    assert "第二十一条第二款" in deadline["rule"] and deadline["date"] == "2018-09-19"
    assert any("起算日" in line for line in deadline["explanation"])
    reply = next(c for c in body["clocks"] if c["kind"] == "reply")
    assert reply["explanation"]["official"] and reply["state"] in ("escalated", "breached")
    # KC-2017-001 was received 2017-12-07, before the interpretation (2018-03-02) and after the pilot, outside the
    # pilot provinces: no national period bound the agency, so no deadline and no breach — and the clock says why.
    old = client.get("/api/v1/cases/KC-2017-001/timeline", params={"as_of": AS_OF}, headers=bearer(tokens.admin))
    assert old.status_code == 200
    gap = next(c for c in old.json()["clocks"] if c["kind"] == "reply")
    assert gap["state"] == "no_statutory_period" and "2018年3月1日" in json.dumps(gap, ensure_ascii=False)
    assert "deadline" not in [e["kind"] for e in old.json()["events"]]
    text = res.text
    assert not [v for v in personal_values if v in text]


def test_timeline_respects_jurisdiction(client: Any, tokens: Any, bearer: Any) -> None:
    assert client.get("/api/v1/cases/KC-2017-001/timeline", headers=bearer(tokens.jiangshan)).status_code in (403, 404)
    assert client.get("/api/v1/cases/KC-2017-001/timeline", headers=bearer(tokens.congress)).status_code == 403
    assert client.get("/api/v1/cases/NO-SUCH/timeline", headers=bearer(tokens.admin)).status_code == 404


def test_meta_names_the_unit(client: Any, tokens: Any, bearer: Any) -> None:
    meta = client.get("/api/v1/meta", headers=bearer(tokens.kecheng)).json()
    assert meta["region_name"] == "柯城区" and meta["role_label"] == "检察院督办"
    assert client.get("/api/v1/meta", headers=bearer(tokens.congress)).json()["region_name"] == "衢州市"


_REF = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\(\s*["']?([^"')]+)""", re.I)


def test_served_pages_and_styles_reference_only_this_host(client: Any) -> None:
    """Every src, href and CSS url() of the pages the hub serves is local (relative, data: or the same host)."""
    for path in ("/dashboard", "/cases/KC-2017-001", "/docs", "/redoc", "/static/dashboard.css"):
        res = client.get(path)
        assert res.status_code == 200, path
        refs = [a or b for a, b in _REF.findall(res.text)]
        assert refs, path
        foreign = [r for r in refs if re.match(r"^(https?:)?//", r)]
        assert foreign == [], (path, foreign)
    assert b"cdn.redoc.ly" not in client.get("/static/docs/redoc.standalone.js").content
    font = client.get("/fonts/cjk.otf")
    assert font.status_code == 200 and font.content[:4] == b"OTTO"


def test_timeline_shows_escalations_with_recipients_and_corrections_of_the_record(
    tmp_path: Any, api_helpers: Any, personal_values: list[str]
) -> None:
    """On a store the sweep has run over: escalations name who was notified; a corrected case shows the change."""
    import datetime as dt
    import json

    from hub.registry.importer import import_cases
    from hub.samples import SAMPLE_CASES
    from hub.store.db import open_store, reset_caches
    from sla.sweep import sweep

    url = f"sqlite:///{tmp_path / 'swept.db'}"
    api_helpers.load_sample(url)
    from pathlib import Path

    lines = Path(SAMPLE_CASES).read_text(encoding="utf-8").splitlines()
    line = next(json.loads(x) for x in lines if '"KC-2026-052"' in x)
    line["title"] = line["title"] + "（更正）"
    report = import_cases([(1, json.dumps(line, ensure_ascii=False))], open_store(url), actor="registry-correction")
    assert report.rejected == 0 and report.updated == 1
    sweep(open_store(url), as_of=dt.date(2026, 11, 23))
    tokens = api_helpers.make_tokens(tmp_path)
    try:
        with api_helpers.build_client(url, tokens) as client:
            res = client.get(
                "/api/v1/cases/KC-2026-052/timeline",
                params={"as_of": "2026-11-23"},
                headers={"Authorization": f"Bearer {tokens.admin}"},
            )
    finally:
        reset_caches()
    assert res.status_code == 200, res.text
    events = res.json()["events"]
    escalations = [e for e in events if e["kind"] == "escalation"]
    # Deadline 2026-11-19 (received 2026-09-19 + two months); the breach alert of level 2 is due the next day.
    assert escalations and {e["date"] for e in escalations} == {"2026-11-20"}
    assert {e["recipient_label"] for e in escalations} == {"承办检察官", "部门负责人"}
    assert all(e["level_label"] == "逾期告警" for e in escalations)
    correction = [e for e in events if e["kind"] == "correction"]
    assert len(correction) == 1 and "title" in correction[0]["fields"]
    assert correction[0]["actor"] == "registry-correction"
    assert not [v for v in personal_values if v in res.text]
