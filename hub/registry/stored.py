"""What the store holds for a case, read back in the registry export's own terms.

A re-import decides "unchanged" by comparing the export line with the rows *as they are now*
(sealed values decrypted), never with a hash the import stored earlier: a row edited directly in
the database — a received date moved, a title rewritten — then differs from the export, and the
import repairs it to what the export says and names the fields in its audit entry. The stored
public form of the title is compared too, so a store written before titles were masked is
migrated by the next import.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hub.free_text import mask_text
from hub.personal_data import decrypt
from hub.registry.format import CaseLine
from hub.store.models import Case, Party


def persons_of(line: CaseLine) -> list[str]:
    """The natural persons a case's free text is checked against: its person parties and its procurator."""
    return [p.name for p in line.parties if p.kind == "person"] + ([line.procurator] if line.procurator else [])


def _amount(value: Decimal | int | float | None) -> str:
    return format(Decimal(str(value or 0)).normalize(), "f")


def _party_in_line(party: Any) -> dict[str, Any]:
    person = party.kind == "person"
    return {
        "name": party.name,
        "kind": party.kind,
        "credit_code": party.credit_code.strip().upper() if party.credit_code else None,
        "id_number": party.id_number if person else None,
        "phone": party.phone if person else None,
        "address": party.address,
    }


def _party_stored(party: Party) -> dict[str, Any]:
    if party.kind == "person":
        return {
            "name": decrypt(party.name_enc, "parties.name"),
            "kind": party.kind,
            "credit_code": party.credit_code,
            "id_number": decrypt(party.id_number_enc, "parties.id_number"),
            "phone": decrypt(party.phone_enc, "parties.phone"),
            "address": decrypt(party.address_enc, "parties.address"),
        }
    return {
        "name": party.name,
        "kind": party.kind,
        "credit_code": party.credit_code,
        "id_number": None,
        "phone": None,
        "address": party.address,
    }


_REPLY_FIELDS = (
    "replied_on",
    "posted_on",
    "has_evidence",
    "rectification_due",
    "rectified",
    "rectified_on",
    "rebound",
    "rectification_status",
)


def _recommendations_in_line(line: CaseLine) -> dict[str, Any]:
    return {
        r.rec_id: {
            "agency": r.agency,
            "issued_on": r.issued_on,
            "received_on": r.received_on,
            "urgent": r.urgent,
            "publicly_delivered": r.publicly_delivered,
            "copied_to": list(r.copied_to),
            "withdrawn_on": r.withdrawn_on,
            "replies": [{f: getattr(reply, f) for f in _REPLY_FIELDS} for reply in r.replies],
        }
        for r in line.recommendations
    }


def _recommendations_stored(case: Case, wanted: set[str]) -> dict[str, Any]:
    return {
        r.rec_number: {
            "agency": r.agency.name if r.agency is not None else None,
            "issued_on": r.issued_on,
            "received_on": r.received_on,
            "urgent": bool(r.urgent),
            "publicly_delivered": r.publicly_delivered,
            "copied_to": list(r.copied_to or []),
            "withdrawn_on": r.withdrawn_on,
            "replies": [
                {f: getattr(reply, f) for f in _REPLY_FIELDS}
                for reply in sorted(r.replies, key=lambda x: x.seq)
                if reply.source == "registry"
            ],
        }
        for r in case.recommendations
        if r.rec_number in wanted  # recommendations no longer exported are kept and not compared
    }


def line_view(line: CaseLine) -> dict[str, Any]:
    """The export line, field by field, in the form :func:`stored_view` reads the store."""
    return {
        "case_id": line.case_id,
        "title": line.title,
        "title_public": mask_text(line.title, persons_of(line)),
        "domain": line.domain,
        "procedure": line.procedure,
        "region_code": line.region_code,
        "district": line.district,
        "opened_on": line.opened_on,
        "status": line.status,
        "procurator": line.procurator,
        "parties": [_party_in_line(p) for p in line.parties],
        "recommendations": _recommendations_in_line(line),
        "outcomes": {
            "land_restored_mu": _amount(line.outcomes.land_restored_mu),
            "waste_removed_t": _amount(line.outcomes.waste_removed_t),
            "money_recovered_yuan": _amount(line.outcomes.money_recovered_yuan),
        },
        "litigation_status": line.litigation_status,
        "closed_on": line.closed_on,
    }


def stored_view(case: Case, line: CaseLine) -> dict[str, Any]:
    """The case as the store holds it now, in the terms of :func:`line_view` (sealed values decrypted)."""
    return {
        "case_id": case.case_id,
        "title": decrypt(case.title_enc, "cases.title") if case.title_enc else case.title,
        "title_public": case.title,
        "domain": case.domain,
        "procedure": case.procedure,
        "region_code": case.region_code,
        "district": case.district,
        "opened_on": case.opened_on,
        "status": case.status,
        "procurator": decrypt(case.procurator_enc, "cases.procurator"),
        "parties": [_party_stored(p) for p in sorted(case.parties, key=lambda p: p.position)],
        "recommendations": _recommendations_stored(case, {r.rec_id for r in line.recommendations}),
        "outcomes": {
            "land_restored_mu": _amount(case.land_restored_mu),
            "waste_removed_t": _amount(case.waste_removed_t),
            "money_recovered_yuan": _amount(case.money_recovered_yuan),
        },
        "litigation_status": case.litigation_status,
        "closed_on": case.closed_on,
    }


def changed_fields(case: Case, line: CaseLine) -> list[str]:
    """The export's top-level fields whose stored rows differ from the line (``title_public`` counts as title)."""
    want, have = line_view(line), stored_view(case, line)
    changed = {("title" if k == "title_public" else k) for k in want if want[k] != have[k]}
    if "recommendations" in changed:  # name the recommendation and its field (a moved received date)
        changed.discard("recommendations")
        for rec_id, fields in want["recommendations"].items():
            stored = have["recommendations"].get(rec_id)
            if stored is None:
                changed.add(f"recommendations[{rec_id}]")
                continue
            changed.update(f"recommendations[{rec_id}].{f}" for f in fields if fields[f] != stored[f])
    return sorted(changed)
