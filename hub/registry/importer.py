"""Idempotent import of the case-registry export (JSON Lines).

* Re-importing the same file changes nothing: each line is compared with the case's rows as they are
  now (``hub.registry.stored``), never with a hash kept from the last import — so a row edited directly
  in the database is repaired to what the export says (audit action ``case.repair``).
* A changed line updates that case and appends an audit entry naming the changed fields.
* A title naming one of the case's natural persons is stored as its public form (余水生 → 余某某) with
  the original sealed (``hub.free_text``).
* A bad line is reported with its line number, field path and reason (Chinese / English);
  it never costs a good line: each line is applied in its own savepoint.
* received = inserted + updated + unchanged + duplicates + rejected, always.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from hub import audit
from hub.agencies import find_or_register
from hub.free_text import seal_text
from hub.personal_data import blind_index, encrypt
from hub.registry.errors import LineError, from_validation_error
from hub.registry.format import CaseLine, PartyIn, RecommendationIn
from hub.registry.quality import party_warnings
from hub.registry.stored import changed_fields, persons_of
from hub.store.models import Agency, Case, Party, Recommendation, Reply, SlaEvent
from schemas.textfile import LineProblem, loads_strict, open_text

ACTOR = "registry-import"
CHUNK = 200
#: A case line is a few kilobytes; a megabyte line is an error (or an attack), not a case. Files are read
#: in bounded chunks (:mod:`schemas.textfile`), so an overlong line is refused without being held whole.
MAX_LINE_BYTES = 1_000_000
MAX_LINE_CHARS = MAX_LINE_BYTES


@dataclass
class ImportReport:
    received: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    rejected: int = 0
    errors: list[LineError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return self.received == (self.inserted + self.updated + self.unchanged + self.duplicates + self.rejected)

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "errors": [e.as_dict() for e in self.errors],
            "warnings": self.warnings,
        }


def read_lines(path: Path, *, encoding: str | None = None) -> Iterable[tuple[int, str | LineProblem]]:
    """Numbered non-blank lines, or the problem that made a line unreadable (overlong, undecodable).

    The encoding (UTF-8 with or without BOM, GB18030, UTF-16 with BOM) is detected unless given; a file that
    cannot be read at all raises :class:`schemas.textfile.UnreadableFile` before the first line.
    """
    for line in open_text(path, max_line_bytes=MAX_LINE_BYTES, encoding=encoding):
        if line.problem is not None:
            yield line.number, line.problem
        elif line.text and line.text.strip():
            yield line.number, line.text


def parse_line(number: int, text: str | LineProblem) -> CaseLine | list[LineError]:
    if isinstance(text, LineProblem):
        return [LineError(number, text.field, text.zh, text.en)]
    if len(text) > MAX_LINE_CHARS:
        return [
            LineError(
                number,
                "(line)",
                f"行过长（超过 {MAX_LINE_CHARS} 字符）",
                f"line longer than {MAX_LINE_CHARS} characters",
            )
        ]
    data, problem = loads_strict(text)
    if problem is not None:
        return [LineError(number, problem.field, problem.zh, problem.en)]
    if not isinstance(data, dict):
        return [LineError(number, "(line)", "每行须为一个 JSON 对象", "each line must be a JSON object")]
    try:
        return CaseLine.model_validate(data)
    except ValidationError as exc:
        return from_validation_error(number, exc)


def import_cases(
    lines: Iterable[tuple[int, str | LineProblem]],
    factory: sessionmaker[Session],
    *,
    actor: str = ACTOR,
    on_line: Callable[[], None] | None = None,
) -> ImportReport:
    report = ImportReport()
    seen_in_file: dict[str, tuple[int, str]] = {}  # case_id -> (line, content hash)
    rec_owner_in_file: dict[str, str] = {}
    pending: list[tuple[int, CaseLine, str]] = []

    for number, text in lines:
        report.received += 1
        parsed = parse_line(number, text)
        if on_line:
            on_line()
        if isinstance(parsed, list):
            report.rejected += 1
            report.errors.extend(parsed)
            continue
        content = parsed.model_dump(mode="json")
        chash = audit.digest(content)
        if parsed.case_id in seen_in_file:
            first_line, first_hash = seen_in_file[parsed.case_id]
            if first_hash == chash:
                report.duplicates += 1
            else:
                report.rejected += 1
                report.errors.append(
                    LineError(
                        number,
                        "case_id",
                        f"与第{first_line}行案件编号重复且内容不同",
                        f"duplicate case_id with different content (first at line {first_line})",
                    )
                )
            continue
        clash = next(
            (
                r.rec_id
                for r in parsed.recommendations
                if rec_owner_in_file.get(r.rec_id, parsed.case_id) != parsed.case_id
            ),
            None,
        )
        if clash:
            report.rejected += 1
            report.errors.append(
                LineError(
                    number,
                    "recommendations.rec_id",
                    f"检察建议编号 {clash} 已属于另一案件",
                    f"rec_id {clash} already belongs to case {rec_owner_in_file[clash]}",
                )
            )
            continue
        seen_in_file[parsed.case_id] = (number, chash)
        for rec in parsed.recommendations:
            rec_owner_in_file[rec.rec_id] = parsed.case_id
        pending.append((number, parsed, chash))
        if len(pending) >= CHUNK:
            _apply_chunk(pending, factory, actor, report)
            pending = []
    if pending:
        _apply_chunk(pending, factory, actor, report)
    return report


def _apply_chunk(
    chunk: list[tuple[int, CaseLine, str]], factory: sessionmaker[Session], actor: str, report: ImportReport
) -> None:
    with factory() as session, session.begin():
        ids = [line.case_id for _, line, _ in chunk]
        query = (
            select(Case)
            .where(Case.case_id.in_(ids))
            .options(
                selectinload(Case.parties),
                selectinload(Case.recommendations).selectinload(Recommendation.replies),
                selectinload(Case.recommendations).selectinload(Recommendation.agency),
            )
        )
        existing = {c.case_id: c for c in session.execute(query).scalars()}
        agency_cache: dict[str, Agency] = {}
        for number, line, chash in chunk:
            case = existing.get(line.case_id)
            # Compared with the rows as they are now, not with the hash stored at the last import.
            differs = changed_fields(case, line) if case is not None else None
            if case is not None and not differs:
                report.unchanged += 1
                continue
            foreign = _foreign_recommendation(session, line, case)
            if foreign:
                report.rejected += 1
                report.errors.append(
                    LineError(
                        number,
                        "recommendations.rec_id",
                        f"检察建议编号 {foreign} 已属于另一案件",
                        f"rec_id {foreign} already belongs to another case",
                    )
                )
                continue
            try:
                with session.begin_nested():
                    outcome, notes = _apply_case(session, line, chash, case, agency_cache, actor, differs)
            except (IntegrityError, DataError) as exc:  # one bad line must not cost the others
                report.rejected += 1
                report.errors.append(LineError(number, "(store)", "写入失败", f"store error: {type(exc).__name__}"))
                continue
            report.warnings.extend(f"第{number}行 line {number}: {note}" for note in notes)
            if outcome == "inserted":
                report.inserted += 1
            else:
                report.updated += 1


def _foreign_recommendation(session: Session, line: CaseLine, case: Case | None) -> str | None:
    numbers = [r.rec_id for r in line.recommendations]
    if not numbers:
        return None
    rows = session.execute(
        select(Recommendation.rec_number, Recommendation.case_pk).where(Recommendation.rec_number.in_(numbers))
    ).all()
    for number, case_pk in rows:
        if case is None or case_pk != case.id:
            return number
    return None


def _field_digests(line: CaseLine) -> dict[str, str]:
    return {name: audit.digest(value) for name, value in line.model_dump(mode="json").items()}


def _apply_case(
    session: Session,
    line: CaseLine,
    chash: str,
    case: Case | None,
    agency_cache: dict[str, Agency],
    actor: str,
    differs: list[str] | None = None,
) -> tuple[str, list[str]]:
    notes: list[str] = []
    digests = _field_digests(line)
    now = datetime.now(UTC)
    action = "case.update"
    if case is None:
        case = Case(case_id=line.case_id, created_at=now)
        session.add(case)
        outcome, before = "inserted", None
        changed = sorted(digests)
        action = "case.import"
    else:
        outcome, before = "updated", case.content_hash
        changed = sorted(differs or ())
        if case.content_hash == chash:
            # The export did not change, the rows did: an edit made around the hub, repaired to the export.
            action = "case.repair"
            notes.append(
                f"案件 {line.case_id} 的存储内容与导出不符（{', '.join(changed)}），已按导出修复 / stored rows "
                f"differed from the export ({', '.join(changed)}): repaired"
            )
    newly_closed = outcome == "updated" and case.status != "closed" and line.status == "closed"
    title = seal_text(line.title, persons_of(line), "cases.title")
    case.title = title.public or line.title
    case.title_enc = title.sealed
    case.domain = line.domain
    case.procedure = line.procedure
    case.region_code = line.region_code
    case.district = line.district
    case.opened_on = line.opened_on
    case.status = line.status
    case.procurator_enc = encrypt(line.procurator, "cases.procurator")
    case.procurator_hmac = blind_index("person_name", line.procurator)
    case.land_restored_mu = line.outcomes.land_restored_mu
    case.waste_removed_t = line.outcomes.waste_removed_t
    case.money_recovered_yuan = line.outcomes.money_recovered_yuan
    case.litigation_status = line.litigation_status
    case.closed_on = line.closed_on
    if newly_closed and line.closed_on is None:
        # The export says closed but not since when: the hub records the day it learned of it, an upper bound of
        # the closing date (the clocks ran until then in the hub's knowledge). A procurator corrects it with
        # `pilhub sla event CASE --kind closed --on DATE`.
        session.add(
            SlaEvent(
                case_pk=case.id,
                kind="closed",
                occurred_on=now.date(),
                recorded_by=actor,
                recorded_at=now,
                note="registry reported the case closed without closed_on",
            )
        )
        notes.append(
            "案件状态变为已办结但未给出办结日期 closed_on，按今日登记 / closed without closed_on: today is recorded"
        )
    case.content_hash = chash
    case.field_digests = digests
    case.updated_at = now
    case.parties.clear()
    session.flush()
    for position, party in enumerate(line.parties):
        case.parties.append(_party_row(position, party))
        notes.extend(party_warnings(position, party))
    for rec in line.recommendations:
        notes.extend(_upsert_recommendation(session, case, rec, agency_cache, line.region_code))
    present = {r.rec_id for r in line.recommendations}
    for old in case.recommendations:
        if old.rec_number not in present:
            notes.append(f"检察建议 {old.rec_number} 不在本次导出中，已保留 / no longer in the export; kept")
    audit.append(
        session,
        actor=actor,
        action=action,
        object_type="case",
        object_id=line.case_id,
        before=before,
        after=chash,
        # Top-level fields of the export, and where finer (which recommendation, which of its fields).
        detail={"changed_fields": sorted({name.split("[")[0] for name in changed}), "changed_items": changed},
    )
    return outcome, notes


def _party_row(position: int, party: PartyIn) -> Party:
    credit = party.credit_code.strip().upper() if party.credit_code else None
    if party.kind == "person":
        return Party(
            position=position,
            kind=party.kind,
            credit_code=credit,
            name_enc=encrypt(party.name, "parties.name"),
            name_hmac=blind_index("person_name", party.name),
            id_number_enc=encrypt(party.id_number, "parties.id_number"),
            id_number_hmac=blind_index("id_number", party.id_number),
            phone_enc=encrypt(party.phone, "parties.phone"),
            phone_hmac=blind_index("phone", party.phone),
            address_enc=encrypt(party.address, "parties.address"),
        )
    return Party(
        position=position, kind=party.kind, name=party.name, credit_code=credit, address=party.address, name_hmac=None
    )


def _upsert_recommendation(
    session: Session, case: Case, rec: RecommendationIn, agency_cache: dict[str, Agency], region_code: str
) -> list[str]:
    notes: list[str] = []
    agency = find_or_register(session, rec.agency, region_code, agency_cache)
    if not agency.registered:
        notes.append(f"机关“{rec.agency}”未在机关名录中登记，已自动创建 / agency not in the registry; auto-registered")
    row = next((r for r in case.recommendations if r.rec_number == rec.rec_id), None)
    if row is None:
        row = Recommendation(rec_number=rec.rec_id, case=case)
        session.add(row)
    row.agency = agency
    row.issued_on = rec.issued_on
    row.received_on = rec.received_on
    row.urgent = rec.urgent
    row.publicly_delivered = rec.publicly_delivered
    row.copied_to = list(rec.copied_to)
    row.withdrawn_on = rec.withdrawn_on
    row.updated_at = datetime.now(UTC)
    # Registry replies are replaced wholesale; replies that came from agency records stay.
    kept = [r for r in row.replies if r.source != "registry"]
    row.replies[:] = kept
    session.flush()
    next_seq = max((r.seq for r in kept), default=0)
    for offset, reply in enumerate(rec.replies, start=1):
        row.replies.append(
            Reply(
                seq=next_seq + offset,
                replied_on=reply.replied_on,
                posted_on=reply.posted_on,
                has_evidence=reply.has_evidence,
                rectification_due=reply.rectification_due,
                rectified=reply.rectified,
                rectified_on=reply.rectified_on,
                rebound=reply.rebound,
                rectification_status=reply.rectification_status,
                source="registry",
            )
        )
    return notes
