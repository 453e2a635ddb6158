"""Matching in the store: exact recommendation-number links update clocks' inputs, court records update
the litigation status, review decisions are remembered, and unlinking reverts effects with an audit entry."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from hub.linking import LinkError, decide, link_pending, unlink
from hub.samples import SAMPLE_CASES, load_sample_registry
from hub.store import open_store
from hub.store.models import AgencyRecord, AuditEntry, Case, Clock, Recommendation, RecordLink, Reply

SAMPLE = [json.loads(x) for x in SAMPLE_CASES.read_text(encoding="utf-8").splitlines()]


def _record(session, n: int, kind: str, payload: dict, agency: str = "330800-sthj") -> AgencyRecord:
    rec = AgencyRecord(
        agency_code=agency,
        stream=kind.split(".")[1],
        source_id=f"S{n}",
        version=1,
        kind=kind,
        schema_version="1.0.0",
        payload=payload,
        content_hash=f"{n:064d}",
        fetched_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
    )
    session.add(rec)
    session.flush()
    return rec


@pytest.fixture
def store(store_url: str):
    factory = open_store(store_url)
    load_sample_registry(factory, actor="test")
    return factory


def test_reply_and_receipt_link_exactly_and_take_effect(store) -> None:
    # received after 2018-03-02, so a reply period (法释〔2018〕6号 Art. 21) binds the agency and a reply can meet it
    unreplied = next(
        c
        for c in SAMPLE
        for r in c["recommendations"]
        if r["received_on"] and r["received_on"] >= "2018-03-02" and not r["replies"] and c["status"] != "closed"
    )
    rec_no = next(r["rec_id"] for r in unreplied["recommendations"] if not r["replies"])
    pending = next(c for c in SAMPLE for r in c["recommendations"] if r["received_on"] is None)
    pending_no = pending["recommendations"][0]["rec_id"]
    with store() as s, s.begin():
        _record(
            s,
            1,
            "agency.reply",
            {"recommendation_number": rec_no, "reply_date": "2026-11-20", "attachments": [{"sha256": "ab" * 32}]},
            agency="330800-sl",
        )
        _record(s, 2, "agency.receipt", {"recommendation_number": pending_no, "received_date": "2026-11-04"})
        _record(s, 3, "agency.reply", {"recommendation_number": "不存在〔2099〕1号", "reply_date": "2026-11-20"})
    report = link_pending(factory=store)
    assert report.records == 3 and report.linked >= 2
    with store() as s:
        reply = s.execute(select(Reply).where(Reply.source == "record")).scalar_one()
        assert reply.replied_on == dt.date(2026, 11, 20) and reply.has_evidence
        rec = s.execute(select(Recommendation).where(Recommendation.rec_number == pending_no)).scalar_one()
        assert rec.received_on == dt.date(2026, 11, 4)
        assert s.scalar(select(func.count()).where(AuditEntry.action == "link.effect")) >= 2
    assert link_pending(factory=store).records == 0  # idempotent: nothing new
    # the next sweep folds the linked reply into the recommendation's reply clock
    from sla.sweep import sweep

    sweep(store, as_of=dt.date(2026, 11, 23))
    with store() as s:
        clock = s.execute(select(Clock).where(Clock.clock_key == f"reply:{rec_no}")).scalar_one()
        assert clock.state in ("met", "met_late"), clock.state


def test_unlink_reverts_the_effect_with_an_audit_entry(store) -> None:
    pending = next(c for c in SAMPLE for r in c["recommendations"] if r["received_on"] is None)
    pending_no = pending["recommendations"][0]["rec_id"]
    with store() as s, s.begin():
        _record(s, 2, "agency.receipt", {"recommendation_number": pending_no, "received_date": "2026-11-04"})
    link_pending(factory=store)
    with store() as s, s.begin():
        link = s.execute(select(RecordLink)).scalar_one()
        unlink(s, link.id, actor="test", reason="错误关联 wrong link")
    with store() as s:
        rec = s.execute(select(Recommendation).where(Recommendation.rec_number == pending_no)).scalar_one()
        assert rec.received_on is None
        entry = s.execute(select(AuditEntry).where(AuditEntry.action == "link.unlink")).scalar_one()
        assert entry.detail["reason"] == "错误关联 wrong link"
        with pytest.raises(LinkError):
            unlink(s, link.id, actor="test", reason="again")


def test_court_judgment_updates_litigation_status_and_review_is_remembered(store) -> None:
    company = next(c for c in SAMPLE if c["parties"][0]["kind"] == "company" and c["status"] == "open")
    party = company["parties"][0]
    with store() as s, s.begin():
        _record(
            s,
            4,
            "court.judgment",
            {
                "case_number": "（2026）浙0802民初1号",
                "defendants": [party["name"]],
                "decided_on": "2026-10-01",
                "region_code": company["region_code"],
            },
            agency="330800-fy",
        )
    link_pending(factory=store)
    with store() as s, s.begin():
        links = list(s.execute(select(RecordLink)).scalars())
        assert links, "a judgment naming the case's company should be proposed"
        case = s.get(Case, links[0].case_pk)
        active = [lk for lk in links if lk.status == "active"]
        if active:
            assert case.litigation_status == "judged"
        pending = [lk for lk in links if lk.status == "pending_review"]
        for lk in pending:
            decide(s, lk.id, accept=False, actor="reviewer")
        assert all(lk.explanation for lk in links)
    # a rejected pair is never asked again
    with store() as s:
        rejected = s.scalar(select(func.count()).where(RecordLink.status == "rejected"))
        with pytest.raises(LinkError):
            decide(s, links[0].id, accept=True, actor="again")
    assert rejected == len(pending)


def test_production_linking_uses_the_pinned_model_and_never_trains(store, monkeypatch, tmp_path) -> None:
    from hub.matching.engine import LinkageEngine
    from hub.matching.pinned import PinnedModelError

    def no_training(*args, **kwargs):
        raise AssertionError("an incremental batch must not train the model")

    monkeypatch.setattr(LinkageEngine, "train", no_training)
    monkeypatch.setattr(LinkageEngine, "train_from_labels", no_training)
    monkeypatch.setenv("PILHUB_VAR_DIR", str(tmp_path))
    company = next(c for c in SAMPLE if c["parties"][0]["kind"] == "company" and c["status"] == "open")
    payload = {"case_number": "（2026）浙0802民初2号", "defendants": [company["parties"][0]["name"]],
               "decided_on": "2026-10-01", "region_code": company["region_code"]}  # fmt: skip
    with store() as s, s.begin():
        _record(s, 5, "court.judgment", payload, agency="330800-fy")
    report = link_pending(factory=store)  # the shipped pinned model: no model file of the deployment yet
    assert report.linked + report.review >= 1
    assert not (tmp_path / "matching" / "model.json").exists()  # nothing written back

    # a deployment's own model file that does not fit the settings stops the run with a clear error
    own = tmp_path / "matching" / "model.json"
    own.parent.mkdir(parents=True)
    own.write_text(json.dumps({"format": "pilhub-linkage-model/1", "settings": {}}), encoding="utf-8")
    with store() as s, s.begin():
        _record(s, 6, "court.judgment", {**payload, "case_number": "（2026）浙0802民初3号"}, agency="330800-fy")
    with pytest.raises(PinnedModelError, match="pilhub link train"):
        link_pending(factory=store)
