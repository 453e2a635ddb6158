"""A procuratorial recommendation (检察建议) as served on the agency — a signed, verifiable document.

An agency that is later told it missed its reply deadline must be able to check what the hub
says it was served: which recommendation, on which case, when issued and served, which reply
period and which deadline. :func:`export_recommendation` writes that as

* ``检察建议-<文号>.json`` — a canonical JSON document (sorted keys, fixed indentation): the
  recommendation number, case, procuratorate, addressee agency, copies, issued and served
  dates, urgency, the reply period with its legal basis, and the computed deadline under both
  readings of make-up working days (the later one decides a breach);
* ``检察建议-<文号>.txt`` — the same in Chinese prose (with English labels) for people;

each with a detached ``FILE.manifest.json`` signed by the hub (``kind: "recommendation"``), so
``pilhub verify FILE``, openssl or python-cryptography check it (``docs/verify.md``). The
document is a pure function of the stored facts — the same recommendation always gives the same
bytes, and its SHA-256 identifies it — while the manifest's ``signed_at`` records the export.
Every export is appended to the audit trail with the digests of what was written.

Personal data: none. The store holds no recommendation text, and the export leaves out the
parties and the case procurator (natural persons); the case title, the agencies and the
procuratorate are public bodies and duties. The document says so in ``personal_data``.
The deadline is derived from the recorded facts by ``sla.clocks`` (the same rules as the
sweep), so it does not depend on when the sweep last ran; replies and outcomes are left out —
they are not part of what was served.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import audit
from hub.notify.render import cn_date
from hub.registry.format import DOMAIN_LABELS, PROCEDURE_LABELS
from hub.store.models import Agency, Case, Recommendation
from hub.trust.manifest import build_manifest, document_bytes, write_signed

DOCUMENT_TYPE = "pilhub.recommendation"
SCHEMA_VERSION = 1
PERSONAL_DATA_NOTE = (
    "不含自然人个人信息：当事人及承办检察官姓名均未导出 / no personal data of individuals: "
    "parties and the case procurator are left out"
)
# Characters a file name on any common system (and a shell user) would trip over.
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|\s]+')


class RecommendationNotFound(LookupError):
    """No recommendation with that number (the message is bilingual)."""


@dataclass(frozen=True)
class ExportResult:
    """What :func:`export_recommendation` wrote: files (each with ``.manifest.json``) and the JSON's digest."""

    rec_number: str
    files: list[Path]
    sha256: str
    key_id: str
    document: dict[str, Any] = field(repr=False)


def file_stem(rec_number: str) -> str:
    """``检察建议-柯检行公建〔2026〕3号`` — the number kept readable, separators and spaces replaced."""
    return "检察建议-" + (_UNSAFE.sub("_", rec_number).strip("._") or "unnamed")


def _period_label(period: str | None) -> str:
    if not period:
        return "（未知）"
    count, unit = period[:-1], period[-1]
    return f"{count}个月 / {count} month(s)" if unit == "m" else f"{count}日 / {count} day(s)"


def _reply_terms(session: Session, case: Case, rec: Recommendation) -> dict[str, Any]:
    """Reply period, basis and deadline(s), derived from the recorded facts (as the sweep derives them)."""
    from hub.calendar_store import store_calendar
    from sla.clocks import derive_case_clocks, load_case_facts

    facts = load_case_facts(session, [case.id]).get(case.id)
    clocks = derive_case_clocks(facts, calendar=store_calendar(session)) if facts is not None else []
    clock = next((c for c in clocks if c.key == f"reply:{rec.rec_number}"), None)
    if clock is None:  # pragma: no cover - every recommendation of a case has a reply clock
        return {"period": None, "rule": None, "start_on": None, "deadline": None}
    return {
        "period": clock.period,
        "period_label": _period_label(clock.period),
        "rule": clock.explanation.get("rule"),
        "start_on": clock.start_on.isoformat() if clock.start_on else None,
        "deadline": clock.deadline_official.isoformat() if clock.deadline_official else None,
        "deadline_all_weekends": clock.deadline_all_weekends.isoformat() if clock.deadline_all_weekends else None,
        "breach_after": clock.breach_after.isoformat() if clock.breach_after else None,
        "readings_differ": clock.deadline_official != clock.deadline_all_weekends,
        "calendar_missing": bool(clock.calendar_missing),
        "not_started": clock.start_on is None,
    }


def recommendation_document(session: Session, rec_number: str) -> dict[str, Any]:
    """The recommendation as served, as a JSON-ready dict (deterministic for the same stored facts)."""
    rec = session.execute(select(Recommendation).where(Recommendation.rec_number == rec_number)).scalar_one_or_none()
    if rec is None:
        raise RecommendationNotFound(f"无此检察建议 / no such recommendation: {rec_number}")
    case = session.get(Case, rec.case_pk)
    agency = session.get(Agency, rec.agency_pk)
    assert case is not None and agency is not None
    return {
        "document_type": DOCUMENT_TYPE,
        "schema_version": SCHEMA_VERSION,
        "issuer": "pilhub",
        "rec_number": rec.rec_number,
        "case": {
            "case_id": case.case_id,
            "title": case.title,
            "domain": case.domain,
            "domain_label": DOMAIN_LABELS.get(case.domain, case.domain),
            "procedure": case.procedure,
            "procedure_label": PROCEDURE_LABELS.get(case.procedure, case.procedure),
            "region_code": case.region_code,
            "district": case.district,
        },
        "procuratorate": f"{case.district}人民检察院",
        "addressee": {"code": agency.code, "name": agency.name, "kind": agency.kind},
        "copied_to": [str(x) for x in (rec.copied_to or [])],
        "issued_on": rec.issued_on.isoformat(),
        "served_on": rec.received_on.isoformat() if rec.received_on else None,
        "served_publicly": rec.publicly_delivered,
        "urgent": bool(rec.urgent),
        "reply": _reply_terms(session, case, rec),
        "personal_data": PERSONAL_DATA_NOTE,
    }


def render_text(doc: dict[str, Any]) -> str:
    """The document in Chinese prose with English labels — what a person at the agency reads."""
    case, addressee, reply = doc["case"], doc["addressee"], doc["reply"]
    served = cn_date(doc["served_on"]) if doc["served_on"] else "尚未送达 / not yet served"
    if doc["served_on"] and doc["served_publicly"]:
        served += "（宣告送达 / served publicly）"
    if reply.get("not_started"):
        deadline = "尚未起算（未送达）/ not started: not yet served"
    else:
        deadline = cn_date(reply.get("deadline"))
        if reply.get("readings_differ"):
            deadline += (
                f"（按“全部周末休息”口径为{cn_date(reply.get('deadline_all_weekends'))}，"
                f"以较晚日期认定是否逾期 / the later date decides a breach）"
            )
        if reply.get("calendar_missing"):
            deadline += (
                f"（所需年度国务院节假日安排尚未公布，此为最早可能日，最晚 {cn_date(reply.get('breach_after'))} / "
                "the year's holiday notice is not yet published: earliest possible date, latest as stated）"
            )
    lines = [
        f"{doc['procuratorate']} 检察建议（送达要素）",
        "Procuratorial recommendation — particulars as served",
        "",
        f"文号 / number：{doc['rec_number']}",
        f"案件 / case：{case['case_id']} {case['title']}",
        f"领域 / domain：{case['domain_label']}；程序 / procedure：{case['procedure_label']}",
        f"被建议机关 / addressee：{addressee['name']}（{addressee['code']}）",
        f"抄送 / copied to：{'、'.join(doc['copied_to']) or '无 / none'}",
        f"发出日期 / issued：{cn_date(doc['issued_on'])}",
        f"送达日期 / served：{served}",
        f"情况紧急 / urgent：{'是 / yes' if doc['urgent'] else '否 / no'}",
        f"书面回复期限 / reply period：{reply.get('period_label') or '（未知）'}",
        f"依据 / legal basis：{reply.get('rule') or '（未知）'}",
        f"回复期限届满日 / reply deadline：{deadline}",
        "",
        f"说明 / note：{doc['personal_data']}",
        "本文件由 pilhub 签名，可用 pilhub verify 或 docs/verify.md 所述方法核验 / "
        "signed by pilhub: verify with pilhub verify or as docs/verify.md shows.",
    ]
    return "\n".join(lines) + "\n"


def export_recommendation(
    session: Session,
    rec_number: str,
    out_dir: Path | str,
    *,
    actor: str,
    with_text: bool = True,
    now: dt.datetime | None = None,
) -> ExportResult:
    """Write, sign and audit the recommendation ``rec_number`` into ``out_dir``.

    The audit entry is appended in the caller's transaction, after the files are written:
    a failed write leaves no entry claiming an export that did not happen.
    """
    doc = recommendation_document(session, rec_number)
    stem = file_stem(rec_number)
    at = now or dt.datetime.now(dt.UTC)
    contents = [(f"{stem}.json", document_bytes(doc))]
    if with_text:
        contents.append((f"{stem}.txt", render_text(doc).encode("utf-8")))
    files: list[Path] = []
    manifests: list[dict[str, Any]] = []
    for name, content in contents:
        manifest = build_manifest(content, name, at, kind="recommendation")
        files.append(write_signed(out_dir, name, content, manifest)[0])
        manifests.append(manifest)
    main = manifests[0]
    audit.append(
        session,
        actor=actor,
        action="recommendation.exported",
        object_type="recommendation",
        object_id=rec_number,
        after=doc,
        detail={
            "files": [p.name for p in files],
            "sha256": {m["file"]: m["sha256"] for m in manifests},
            "key_id": main["key_id"],
            "signed_at": main["signed_at"],
        },
    )
    return ExportResult(rec_number, files, str(main["sha256"]), str(main["key_id"]), doc)


def document_digest(doc: dict[str, Any]) -> str:
    """SHA-256 of the document's canonical bytes — equal to the manifest's ``sha256`` of the JSON file."""
    return hashlib.sha256(document_bytes(doc)).hexdigest()
