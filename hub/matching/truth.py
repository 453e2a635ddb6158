"""What counts as a true link: the rule the engine, the generator and the evaluation share.

A record and a case belong together when all three hold:

* *same subject* — the record concerns the same legal entity or natural person as one of the case's
  parties. A branch (分公司) and its parent are different subjects; two people with the same name are
  different unless their ID numbers agree (or one is missing and nothing else disagrees). Where the
  subject is a public body (an agency or a government, the addressee of many cases) the record must
  also cite one of the case's document numbers or court case numbers;
* *source fits the domain* — ``ecology`` takes environment, forestry and court records; ``food_drug``
  takes market and court records; every other domain takes any source;
* *time* — the record is dated no earlier than 365 days before the case was opened.

The last two and the public-body citation are decidable from the fields alone, so the engine applies
them as hard gates (weight −∞) rather than learning them; "same subject" is what the probabilistic
model estimates. The generator labels with the same functions, so the two can never drift apart.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

SOURCES: tuple[str, ...] = ("environment", "forestry", "market", "court", "agency")
DOMAIN_SOURCES: dict[str, frozenset[str]] = {
    "ecology": frozenset({"environment", "forestry", "court"}),
    "food_drug": frozenset({"market", "court"}),
}
PUBLIC_BODY_KINDS: frozenset[str] = frozenset({"agency", "government"})
MAX_DAYS_BEFORE_OPENING = 365


def source_fits_domain(source: str | None, domain: str | None) -> bool:
    """Whether a record from ``source`` may support a case of ``domain``."""
    allowed = DOMAIN_SOURCES.get((domain or "").strip().lower())
    return allowed is None or (source or "").strip().lower() in allowed


def in_time_window(record_date: dt.date | None, opened_on: dt.date | None) -> bool:
    """A record may not predate the case's opening by more than 365 days (unknown dates pass)."""
    if record_date is None or opened_on is None:
        return True
    return (opened_on - record_date).days <= MAX_DAYS_BEFORE_OPENING


def public_body_cites(party_kind: str | None, cites_case_number: bool) -> bool:
    """A public-body subject counts only when the record cites one of the case's numbers."""
    return (party_kind or "") not in PUBLIC_BODY_KINDS or cites_case_number


def is_true_link(
    *,
    same_subject: bool,
    party_kind: str | None,
    cites_case_number: bool,
    source: str | None,
    domain: str | None,
    record_date: dt.date | None,
    opened_on: dt.date | None,
) -> bool:
    """The whole rule for one (record, case party) pair; ``same_subject`` is the ground truth."""
    return (
        same_subject
        and public_body_cites(party_kind, cites_case_number)
        and source_fits_domain(source, domain)
        and in_time_window(record_date, opened_on)
    )


def domain_compatibility_matrix(domains: list[str], sources: list[str]) -> np.ndarray:
    """Boolean matrix [domain code, source code] of ``source_fits_domain`` for vectorised gating."""
    return np.array([[source_fits_domain(s, d) for s in sources] for d in domains], dtype=bool)
