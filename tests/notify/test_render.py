"""Notice texts: Chinese templates with the case, recommendation number, agency, deadline(s), days overdue and
what is asked — and no personal data anywhere except in an e-mail addressed to the case procurator."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from hub.agencies import SAMPLE_AGENCIES, import_agencies, load_registry_file
from hub.notify.file import read_deliveries
from hub.notify.outbox import send_pending
from hub.notify.render import message_context, render
from hub.personal_data import decrypt
from hub.registry.importer import import_cases, read_lines
from hub.samples import SAMPLE_CASES
from hub.store import open_store
from hub.store.models import Case, Escalation, InboxMessage, OutboxMessage
from sla.policy import load_policy
from sla.sweep import sweep

POLICY = load_policy()


@pytest.fixture
def swept(store_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    factory = open_store(store_url)
    with factory() as s, s.begin():
        import_agencies(s, load_registry_file(SAMPLE_AGENCIES))
    lines = [line for line in SAMPLE_CASES.read_text(encoding="utf-8").splitlines() if '"KC-2026' in line]
    (tmp_path / "cases.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    import_cases(read_lines(tmp_path / "cases.jsonl"), factory)
    sweep(factory, as_of=dt.date(2026, 12, 24), policy=POLICY)  # every level of the ladder is due somewhere
    return factory


def _messages(factory, template: str) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    with factory() as s:
        return [m for m in s.scalars(select(OutboxMessage)) if m.payload.get("template") == template]


def test_every_template_renders_the_facts_a_recipient_needs(swept) -> None:  # type: ignore[no-untyped-def]
    seen = set()
    with swept() as s:
        for message in s.scalars(select(OutboxMessage)):
            esc = s.get(Escalation, message.escalation_pk)
            context = message_context(s, message)
            text = render(message.payload["template"], context)
            seen.add(message.payload["template"])
            assert text.subject and context["case_id"] in text.body
            if context["rec_number"]:
                assert context["rec_number"] in text.subject + text.body
                assert context["agency_name"] in text.body
            if esc.level >= 2 and context["kind"] == "reply":
                assert f"已逾期{context['days_overdue']}日" in text.subject + text.body
                assert "24时前" in text.body
    assert {"reminder", "breach_alert", "superior_notice", "congress_report", "lawsuit_proposal"} <= seen


def test_both_readings_are_shown_where_they_differ(swept) -> None:  # type: ignore[no-untyped-def]
    with swept() as s:  # a reply clock's alert (a promised rectification date has one reading only)
        contexts = [message_context(s, m) for m in _messages(swept, "breach_alert")]
    context = next(c for c in contexts if c["kind"] == "reply")
    context.update(deadline_official=dt.date(2024, 10, 12), deadline_all_weekends=dt.date(2024, 10, 14), differs=True)
    body = render("breach_alert", context).body
    assert "2024年10月12日（调休上班日按“全部周末休息”口径计为2024年10月14日，以较晚日期认定是否逾期）" in body


def test_the_lawsuit_proposal_cites_the_law(swept) -> None:  # type: ignore[no-untyped-def]
    message = _messages(swept, "lawsuit_proposal")[0]
    with swept() as s:
        text = render("lawsuit_proposal", message_context(s, message))
    assert "行政诉讼法第二十五条第四款" in text.body and text.subject.startswith("【起诉建议】")


def test_the_procurator_is_named_only_in_an_email_to_the_procurator(swept, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with swept() as s:
        names = {decrypt(c.procurator_enc, "cases.procurator") for c in s.scalars(select(Case))}
        to_procurator = next(m for m in s.scalars(select(OutboxMessage)) if m.payload["role"] == "case_procurator")
        to_head = next(m for m in s.scalars(select(OutboxMessage)) if m.payload["role"] == "department_head")
        named = message_context(s, to_procurator, include_personal=True)["recipient_name"]
        assert named[:-3] in names and named.endswith("检察官")
        assert message_context(s, to_head, include_personal=True)["recipient_name"] == "公益诉讼检察部门负责人"
        assert message_context(s, to_procurator)["recipient_name"] == "承办检察官"
    monkeypatch.setenv("PILHUB_NOTIFY_FILE", str(tmp_path / "notices.jsonl"))
    report = send_pending(swept, limit=1000)
    assert report.sent == report.claimed > 0
    with swept() as s:
        stored = [m.subject + m.body for m in s.scalars(select(OutboxMessage))]
        stored += [m.subject + m.body for m in s.scalars(select(InboxMessage))]
    stored += [json.dumps(line, ensure_ascii=False) for line in read_deliveries(tmp_path / "notices.jsonl")]
    assert not [text for text in stored for name in names if name in text]
