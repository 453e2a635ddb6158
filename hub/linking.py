"""Matching in the store: link new agency records to cases, apply the links' effects, review, unlink.

``link_pending`` takes the records loaded since the last run (a watermark in
``matching_state``), builds the engine's case and record lines from the store (personal
data decrypted in memory only, never logged), runs the linkage engine, and stores every
proposed link with its score and explanation: ``link`` becomes an active link at once,
``review`` waits in the review queue. A decision taken in review is remembered on the
link row (unique per record and case), is never asked again, and trains the model.

Effects of an active link (履职证据 — evidence of the agency's performance):
* an agency reply (``agency.reply``) citing a recommendation of the case becomes a reply on
  that recommendation (source ``record``), which the next sweep folds into its clocks;
* a delivery receipt (``agency.receipt``) supplies the received date when the registry has none;
* a court filing, judgment or execution updates the case's litigation status.
Every effect is recorded on the link (with the value it replaced), so ``unlink`` reverts it;
links, effects, decisions and unlinks all append audit entries.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hub import audit
from hub.config import var_dir
from hub.personal_data import decrypt
from hub.store.models import AgencyRecord, Case, MatchingState, Recommendation, RecordLink, Reply

log = logging.getLogger("pilhub.linking")
STATE_NAME = "records"
SOURCE_BY_PREFIX = {
    "env": "environment",
    "forestry": "forestry",
    "market": "market",
    "court": "court",
    "agency": "agency",
}
DATE_FIELDS = (
    "decision_date",
    "measured_at",
    "filed_on",
    "occurred_on",
    "inspected_on",
    "decided_on",
    "sampled_on",
    "valid_from",
    "reply_date",
    "received_date",
    "reported_on",
    "closed_on",
)
CITING_KINDS = ("agency.reply", "agency.receipt")
#: Score (in bits) recorded for an exact-key link — above any probabilistic score, but finite for JSON.
EXACT_SCORE = 99.0
LITIGATION_STATUS = {"court.filing": "filed", "court.judgment": "judged", "court.execution": "executing"}


def model_path() -> Path:
    """Where a deployment keeps the model it trained and pinned (``pilhub link train --out``)."""
    return var_dir() / "matching" / "model.json"


def pinned_model_path() -> Path:
    """The deployment's pinned model if it has one, else the model shipped with the code (trained on
    generator A); either way a pinned file, checked against the current settings on load."""
    from hub.matching.pinned import SHIPPED_MODEL

    own = model_path()
    return own if own.exists() else SHIPPED_MODEL


@dataclass
class LinkRunReport:
    records: int = 0
    cases: int = 0
    linked: int = 0
    review: int = 0
    effects: dict[str, int] = field(default_factory=dict)
    watermark: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# ---- engine inputs ----------------------------------------------------------------------------


def _personal(record: AgencyRecord) -> dict[str, Any]:
    if not record.personal_enc:
        return {}
    return json.loads(decrypt(record.personal_enc, "agency_records.personal_enc") or "{}")


def record_lines(record: AgencyRecord) -> list[dict[str, Any]]:
    """The engine's record line(s) for one stored record (one per defendant of a court record)."""
    p, personal = record.payload, _personal(record)
    date = next((str(p[f])[:10] for f in DATE_FIELDS if p.get(f)), None)
    names: list[str | None] = [
        p.get("party_name")
        or personal.get("party_name")
        or p.get("holder")
        or p.get("producer_name")
        or p.get("seller_name")
    ]
    if record.kind.startswith("court.") and p.get("defendants"):
        names = [d if isinstance(d, str) else (d or {}).get("name") for d in p["defendants"]]
    base = {
        "source": SOURCE_BY_PREFIX.get(record.kind.split(".", 1)[0], "other"),
        "kind": record.kind,
        "date": date,
        "region_code": p.get("region_code"),
        "credit_code": p.get("credit_code") or p.get("producer_credit_code") or p.get("seller_credit_code"),
        "id_number": personal.get("id_number") or personal.get("party_id_number"),
        "address": p.get("party_address") or personal.get("party_address") or p.get("location"),
        "court_case_number": p.get("case_number") if record.kind.startswith("court.") else None,
        "doc_number": p.get("doc_number") or p.get("recommendation_number"),
    }
    return [
        {**base, "record_id": f"{record.id}#{i}" if len(names) > 1 else str(record.id), "party_name": name}
        for i, name in enumerate(names)
    ]


def case_line(case: Case) -> dict[str, Any]:
    parties = []
    for party in case.parties:
        if party.kind == "person":
            parties.append(
                {
                    "name": decrypt(party.name_enc, "parties.name"),
                    "kind": "person",
                    "credit_code": party.credit_code,
                    "id_number": decrypt(party.id_number_enc, "parties.id_number"),
                    "address": decrypt(party.address_enc, "parties.address"),
                }
            )
        else:
            parties.append(
                {
                    "name": party.name,
                    "kind": party.kind,
                    "credit_code": party.credit_code,
                    "id_number": None,
                    "address": party.address,
                }
            )
    recs = list(case.recommendations)
    return {
        "case_id": case.case_id,
        "domain": case.domain,
        "region_code": case.region_code,
        "opened_on": case.opened_on.isoformat(),
        "agency": recs[0].agency.name if recs else None,
        "parties": parties,
        "court_case_numbers": [],
        "doc_numbers": [r.rec_number for r in recs],
    }


# ---- the run ----------------------------------------------------------------------------------


def link_pending(
    *, actor: str = "matching", factory: sessionmaker[Session] | None = None, limit: int | None = None
) -> LinkRunReport:
    """Link the records loaded since the last run; idempotent (re-running finds nothing new)."""
    from hub.matching.engine import LinkageEngine
    from hub.matching.pinned import load_pinned
    from hub.store import open_store

    factory = factory or open_store()
    report = LinkRunReport()
    with factory() as session:
        state = session.get(MatchingState, STATE_NAME)
        after = state.last_record_pk if state else 0
        query = select(AgencyRecord).where(AgencyRecord.id > after, AgencyRecord.is_current.is_(True))
        records = list(session.execute(query.order_by(AgencyRecord.id).limit(limit)).scalars())
        top = session.scalar(select(func.max(AgencyRecord.id))) or 0
        report.watermark = max((r.id for r in records), default=after) if limit else max(top, after)
        if not records:
            session.rollback()  # end the read before _advance takes the write lock (SQLite)
            _advance(factory, report.watermark)
            return report
        # Exact key first: a reply or receipt citing a recommendation number the store knows is that
        # recommendation's, whatever the source system (the number is unique per procuratorate).
        numbers = {r.payload.get("recommendation_number") for r in records if r.kind in CITING_KINDS}
        by_number = dict(
            session.execute(
                select(Recommendation.rec_number, Recommendation.case_pk).where(
                    Recommendation.rec_number.in_(numbers - {None})
                )
            )
            .tuples()
            .all()
        )
        exact = [
            (r, by_number[r.payload["recommendation_number"]])
            for r in records
            if r.kind in CITING_KINDS and r.payload.get("recommendation_number") in by_number
        ]
        exact_ids = {r.id for r, _ in exact}
        rest = [r for r in records if r.id not in exact_ids]
        cases = list(session.execute(select(Case).where(Case.status != "closed")).scalars())
        case_lines = [case_line(c) for c in cases]
        lines = [line for r in rest for line in record_lines(r)]
        decided = {
            (str(lk.record_pk), cid): lk.status == "active"
            for lk, cid in session.execute(
                select(RecordLink, Case.case_id)
                .join(Case, Case.id == RecordLink.case_pk)
                .where(RecordLink.decided_by.is_not(None))
            )
        }
    report.records, report.cases = len(records), len(cases)
    _store_exact(factory, [(r.id, case_pk) for r, case_pk in exact], actor, report)
    if not lines or not case_lines:
        _advance(factory, report.watermark)
        return report
    # The pinned model only: an incremental batch never retrains it (training is `pilhub link train`).
    # Review decisions already taken stay final through `decided`.
    model, _header = load_pinned(pinned_model_path())
    engine = LinkageEngine(model)
    batch = engine.prepare(case_lines, lines)
    result = engine.predict(batch, decided=decided)
    _store_links(factory, result, actor, report)
    _advance(factory, report.watermark)
    return report


def _advance(factory: sessionmaker[Session], watermark: int) -> None:
    with factory() as session, session.begin():
        state = session.get(MatchingState, STATE_NAME, with_for_update=True)
        if state is None:
            session.add(MatchingState(name=STATE_NAME, last_record_pk=watermark))
        elif watermark > state.last_record_pk:
            state.last_record_pk = watermark
            state.updated_at = dt.datetime.now(dt.UTC)


def _store_exact(
    factory: sessionmaker[Session], pairs: list[tuple[int, int]], actor: str, report: LinkRunReport
) -> None:
    """Links by exact recommendation number: active at once, explained by the key that matched."""
    with factory() as session, session.begin():
        for record_pk, case_pk in pairs:
            if session.execute(
                select(RecordLink.id).where(RecordLink.record_pk == record_pk, RecordLink.case_pk == case_pk)
            ).first():
                continue
            link = RecordLink(
                record_pk=record_pk,
                case_pk=case_pk,
                score=EXACT_SCORE,
                decision="link",
                status="active",
                explanation={"exact_key": "recommendation_number"},
            )
            session.add(link)
            session.flush()
            audit.append(
                session,
                actor=actor,
                action="link.create",
                object_type="record_link",
                object_id=str(link.id),
                after={"record": record_pk, "case": case_pk, "exact": True},
            )
            report.linked += 1
            _apply_effects(session, link, actor, report.effects)


def _store_links(factory: sessionmaker[Session], result: Any, actor: str, report: LinkRunReport) -> None:
    links = result.links
    with factory() as session, session.begin():
        case_pk = dict(session.execute(select(Case.case_id, Case.id)).tuples().all())
        best: dict[tuple[int, int], tuple[int, float]] = {}
        for i, row in enumerate(links.itertuples(index=False)):
            key = (int(str(row.record_id).split("#", 1)[0]), case_pk[row.case_id])
            if key not in best or row.score > best[key][1]:
                best[key] = (i, float(row.score))
        for (record_pk, cpk), (i, score) in best.items():
            if session.execute(
                select(RecordLink.id).where(RecordLink.record_pk == record_pk, RecordLink.case_pk == cpk)
            ).first():
                continue
            decision = str(links.iloc[i]["decision"])
            link = RecordLink(
                record_pk=record_pk,
                case_pk=cpk,
                score=score,
                decision=decision,
                status="active" if decision == "link" else "pending_review",
                explanation=json.loads(json.dumps(result.explanation(i), default=str)),
            )
            session.add(link)
            session.flush()
            audit.append(
                session,
                actor=actor,
                action="link.propose" if decision == "review" else "link.create",
                object_type="record_link",
                object_id=str(link.id),
                after={"record": record_pk, "case": cpk, "score": round(score, 3), "decision": decision},
            )
            if decision == "link":
                report.linked += 1
                _apply_effects(session, link, actor, report.effects)
            else:
                report.review += 1


# ---- effects ---------------------------------------------------------------------------------


def _apply_effects(session: Session, link: RecordLink, actor: str, counts: dict[str, int]) -> None:
    record = session.get(AgencyRecord, link.record_pk)
    case = session.get(Case, link.case_pk)
    p = record.payload
    effects: dict[str, Any] = {}
    rec = None
    if p.get("recommendation_number"):
        rec = session.execute(
            select(Recommendation).where(
                Recommendation.rec_number == p["recommendation_number"], Recommendation.case_pk == case.id
            )
        ).scalar_one_or_none()
    if record.kind == "agency.reply" and rec is not None and p.get("reply_date"):
        exists = session.execute(select(Reply.id).where(Reply.record_pk == record.id)).first()
        if not exists:
            seq = (session.scalar(select(func.max(Reply.seq)).where(Reply.recommendation_pk == rec.id)) or 0) + 1
            session.add(
                Reply(
                    recommendation_pk=rec.id,
                    seq=seq,
                    replied_on=_date(p["reply_date"]),
                    posted_on=_date(p.get("posted_date")),
                    has_evidence=bool(p.get("attachments")),
                    rectification_due=_date(p.get("promised_date")),
                    source="record",
                    record_pk=record.id,
                )
            )
            effects["reply"] = {"recommendation": rec.rec_number}
    elif record.kind == "agency.receipt" and rec is not None and p.get("received_date"):
        if rec.received_on is None:
            effects["received_on"] = {"recommendation": rec.rec_number, "before": None}
            rec.received_on = _date(p["received_date"])
        elif rec.received_on != _date(p["received_date"]):
            effects["received_on_conflict"] = {
                "recommendation": rec.rec_number,
                "registry": rec.received_on.isoformat(),
                "receipt": str(p["received_date"])[:10],
            }
    elif record.kind in LITIGATION_STATUS:
        new = LITIGATION_STATUS[record.kind]
        if record.kind == "court.execution" and p.get("closed_on"):
            new = "executed"
        if case.litigation_status != new:
            effects["litigation_status"] = {"before": case.litigation_status, "after": new}
            case.litigation_status = new
    effects.setdefault("evidence", True)
    # The sweep re-derives a case's clocks when its recorded facts changed (updated_at): bump them.
    now = dt.datetime.now(dt.UTC)
    if rec is not None and ("reply" in effects or "received_on" in effects):
        rec.updated_at = now
    if "litigation_status" in effects:
        case.updated_at = now
    link.explanation = {**(link.explanation or {}), "effects": effects}
    for name in effects:
        counts[name] = counts.get(name, 0) + 1
    audit.append(
        session,
        actor=actor,
        action="link.effect",
        object_type="record_link",
        object_id=str(link.id),
        after=effects,
        detail={"kind": record.kind, "effects": sorted(effects)},
    )


def _revert_effects(session: Session, link: RecordLink) -> None:
    effects = (link.explanation or {}).get("effects", {})
    record = session.get(AgencyRecord, link.record_pk)
    case = session.get(Case, link.case_pk)
    if "reply" in effects:
        for reply in session.execute(select(Reply).where(Reply.record_pk == record.id)).scalars():
            session.delete(reply)
    if "received_on" in effects:
        rec = session.execute(
            select(Recommendation).where(Recommendation.rec_number == effects["received_on"]["recommendation"])
        ).scalar_one()
        rec.received_on = None
    if "litigation_status" in effects:
        case.litigation_status = effects["litigation_status"]["before"]
    now = dt.datetime.now(dt.UTC)
    case.updated_at = now
    for rec in case.recommendations:
        rec.updated_at = now


def _date(value: Any) -> dt.date | None:
    return None if value in (None, "") else dt.date.fromisoformat(str(value)[:10])


# ---- review and unlink -----------------------------------------------------------------------


class LinkError(LookupError):
    """No such link, or the action does not apply to it (message in Chinese / English)."""


def decide(session: Session, link_id: int, *, accept: bool, actor: str) -> RecordLink:
    link = session.get(RecordLink, link_id, with_for_update=True)
    if link is None:
        raise LinkError(f"无此关联 / no link {link_id}")
    if link.status != "pending_review":
        raise LinkError(f"关联 {link_id} 不在待复核状态（{link.status}）/ link {link_id} is not awaiting review")
    link.status = "active" if accept else "rejected"
    link.decided_by, link.decided_at = actor, dt.datetime.now(dt.UTC)
    audit.append(
        session,
        actor=actor,
        action="review.accept" if accept else "review.reject",
        object_type="record_link",
        object_id=str(link.id),
        after={"status": link.status},
    )
    if accept:
        _apply_effects(session, link, actor, {})
    return link


def unlink(session: Session, link_id: int, *, actor: str, reason: str) -> RecordLink:
    link = session.get(RecordLink, link_id, with_for_update=True)
    if link is None:
        raise LinkError(f"无此关联 / no link {link_id}")
    if link.status != "active":
        raise LinkError(f"关联 {link_id} 不是有效关联（{link.status}）/ link {link_id} is not active")
    _revert_effects(session, link)
    link.status = "unlinked"
    link.decided_by, link.decided_at = actor, dt.datetime.now(dt.UTC)
    audit.append(
        session,
        actor=actor,
        action="link.unlink",
        object_type="record_link",
        object_id=str(link.id),
        before={"status": "active"},
        after={"status": "unlinked"},
        detail={"reason": reason},
    )
    return link
