"""Running the supervision models and keeping their hits as clues — refreshed, never doubled, never deleted.

A clue's ``key`` is ``<model>:<subject>``, so a re-run finds the clue it made before (the unique key
enforces it): the evidence, counts and ``last_seen`` are refreshed; a clue the run does not find any
more is marked ``holds = false`` with the as-of date it lapsed on — it stays, with its status and its
decision, because a procurator may already have acted on it. ``first_seen`` / ``last_seen`` are
as-of dates, so re-running a day changes nothing.

Evidence names the agency records that make the clue true — agency, kind, source record id,
version — with the record's content hash and the raw landing it came from (id and SHA-256 of the
body as received), so anyone can trace a clue back to what the agency sent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.orm import Session

from hub import audit
from hub.clues.compile import compile_model
from hub.clues.spec import ModelSpec, load_models
from hub.store.bulk import insert_rows
from hub.store.models import Clue, ClueRun

__all__ = ["CLUE_KEYS", "RunReport", "clue_json", "run_models"]

#: The keys of a clue as ``pilhub clues run --json`` prints it (fixed: scripts read them).
CLUE_KEYS = ("key", "subject", "evidence", "model", "status", "first_seen", "last_seen")
_CHUNK = 5000


@dataclass
class RunReport:
    run_pk: int
    as_of: dt.date
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    clues: list[dict[str, Any]] = field(default_factory=list)  # found in this run, CLUE_KEYS only
    new: int = 0
    refreshed: int = 0
    unchanged: int = 0
    lapsed: int = 0
    followed_up: int = 0

    @property
    def hits(self) -> int:
        return len(self.clues)


def clue_json(clue: Clue | dict[str, Any]) -> dict[str, Any]:
    """A clue as printed: exactly :data:`CLUE_KEYS`, dates in ISO form."""
    get = clue.get if isinstance(clue, dict) else lambda k: getattr(clue, k)
    out = {k: get(k) for k in CLUE_KEYS}
    for k in ("first_seen", "last_seen"):
        if isinstance(out[k], dt.date):
            out[k] = out[k].isoformat()
    return out


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def evaluate(session: Session, spec: ModelSpec, as_of: dt.date) -> dict[str, dict[str, Any]]:
    """subject → {count, region_code, evidence} for one model at ``as_of`` (one set-based statement)."""
    compiled = compile_model(spec, as_of, session.get_bind().dialect.name)
    found: dict[str, dict[str, Any]] = {}
    for row in session.execute(compiled.rows).mappings():
        subject = row["display"] or row["subject"]
        hit = found.get(subject)
        if hit is None:
            region = row["region_code"]
            ok = isinstance(region, str) and len(region) == 6 and region.isdigit()
            hit = found[subject] = {"count": int(row["n"]), "region_code": region if ok else None, "evidence": []}
        if row["rid"] is not None:
            hit["evidence"].append(
                {
                    "role": row["role"],
                    "agency_code": row["agency_code"],
                    "kind": row["kind"],
                    "source_record_id": row["source_id"],
                    "version": row["version"],
                    "record_id": row["rid"],
                    "content_hash": row["content_hash"],
                    "landing_id": row["landing_id"],
                    "landing_hash": row["landing_hash"],
                }
            )
        elif row["role"] == "anchor":
            item = {"role": "anchor", "registry": spec.anchor_view}
            item.update({k[2:]: _jsonable(v) for k, v in row.items() if k.startswith("v_")})
            hit["evidence"].append(item)
    for hit in found.values():
        hit["evidence"].sort(key=_evidence_order)
    return found


def _evidence_order(item: dict[str, Any]) -> tuple[Any, ...]:
    """Anchor first, then by role, agency, kind, source id, version: a stable order, so a stable digest."""
    return (
        item["role"] != "anchor",
        item["role"],
        "registry" not in item,
        item.get("agency_code") or "",
        item.get("kind") or "",
        item.get("source_record_id") or "",
        item.get("version") or 0,
    )


def evidence_digest_of(evidence: list[dict[str, Any]]) -> str:
    """What identifies a clue's evidence: each item's role and record (id, version, content hash) or registry row.

    A change of any of them — a new version, another record — refreshes the clue; cheap enough for 100,000s of
    clues per run (no JSON serialisation).
    """
    parts = [
        f"{e['role']}|{e.get('record_id')}|{e.get('version')}|{e.get('content_hash')}|{e.get('rec_number')}|"
        f"{e.get('rectified_on')}"
        for e in evidence
    ]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def _text(spec: ModelSpec, subject: str, count: int) -> str:
    return f"{spec.text_zh.format(subject=subject, count=count)} / {spec.text_en.format(subject=subject, count=count)}"


def run_models(
    session: Session,
    as_of: dt.date,
    *,
    names: Sequence[str] | None = None,
    actor: str = "pilhub.clues",
    run_id: str | None = None,
    models: dict[str, ModelSpec] | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> RunReport:
    """Run the models (all, or ``names``) at ``as_of`` and store their hits as clues, in the caller's transaction."""
    catalogue = models if models is not None else load_models()
    chosen = list(names) if names else sorted(catalogue)
    unknown = [n for n in chosen if n not in catalogue]
    if unknown:
        raise KeyError(unknown[0])
    if session.get_bind().dialect.name == "postgresql":
        # hashes and sorts of a model over a million records in memory rather than in temporary files; for this
        # transaction only (PILHUB_CLUE_WORK_MEM, e.g. 256MB)
        work_mem = os.environ.get("PILHUB_CLUE_WORK_MEM", "128MB")
        if not re.fullmatch(r"[0-9]{1,6}(kB|MB|GB)", work_mem):
            raise ValueError(f"PILHUB_CLUE_WORK_MEM {work_mem!r}: 例如 / e.g. 128MB")
        session.execute(text(f"SET LOCAL work_mem = '{work_mem}'"))
    run = ClueRun(as_of=as_of, actor=actor, run_id=run_id, models={})
    session.add(run)
    session.flush()
    report = RunReport(run.id, as_of)
    now = dt.datetime.now(dt.UTC)
    for name in chosen:
        spec = catalogue[name]
        started = time.perf_counter()
        found = evaluate(session, spec, as_of)
        query_seconds = round(time.perf_counter() - started, 3)
        existing = {
            row.key: row
            for row in session.execute(
                select(
                    Clue.id,
                    Clue.key,
                    Clue.status,
                    Clue.holds,
                    Clue.evidence_digest,
                    Clue.first_seen,
                    Clue.last_seen,
                    Clue.hit_count,
                ).where(Clue.model == name)
            )
        }
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for subject in sorted(found):
            value = found[subject]
            key = f"{name}:{subject}"
            evidence_digest = evidence_digest_of(value["evidence"])
            old = existing.get(key)
            if old is None:
                row = {
                    "key": key,
                    "model": name,
                    "subject": subject,
                    "status": "new",
                    "holds": True,
                    "evidence": value["evidence"],
                    "hit_count": value["count"],
                    "title": spec.title_zh,
                    "text": _text(spec, subject, value["count"]),
                    "domain": spec.domain,
                    "region_code": value["region_code"],
                    "first_seen": as_of,
                    "last_seen": as_of,
                    "lapsed_on": None,
                    "evidence_digest": evidence_digest,
                    "last_run_pk": run.id,
                    "created_at": now,
                    "updated_at": now,
                }
                inserts.append(row)
                report.new += 1
                report.clues.append(clue_json(row))
                continue
            first_seen, last_seen = min(old.first_seen, as_of), max(old.last_seen, as_of)
            changed = (
                old.evidence_digest != evidence_digest
                or not old.holds
                or first_seen != old.first_seen
                or last_seen != old.last_seen
                or old.hit_count != value["count"]
            )
            if changed:
                updates.append(
                    {
                        "pk": old.id,
                        "evidence": value["evidence"],
                        "hit_count": value["count"],
                        "holds": True,
                        "lapsed_on": None,
                        "first_seen": first_seen,
                        "last_seen": last_seen,
                        "evidence_digest": evidence_digest,
                        "text": _text(spec, subject, value["count"]),
                        "region_code": value["region_code"],
                        "last_run_pk": run.id,
                        "updated_at": now,
                    }
                )
                report.refreshed += 1
            else:
                report.unchanged += 1
            report.clues.append(
                {
                    "key": key,
                    "subject": subject,
                    "evidence": value["evidence"],
                    "model": name,
                    "status": old.status,
                    "first_seen": first_seen.isoformat(),
                    "last_seen": last_seen.isoformat(),
                }
            )
        lapsed = [row.id for key, row in existing.items() if row.holds and key.split(":", 1)[1] not in found]
        insert_rows(session, Clue.__table__, inserts)
        if updates:
            table = Clue.__table__
            stmt = (
                update(table)
                .where(table.c.id == bindparam("pk"))
                .values({k: bindparam(k) for k in updates[0] if k != "pk"})
            )
            session.connection().execute(stmt, updates)
        for start in range(0, len(lapsed), _CHUNK):
            session.execute(
                update(Clue)
                .where(Clue.id.in_(lapsed[start : start + _CHUNK]))
                .values(holds=False, lapsed_on=as_of, updated_at=now)
                .execution_options(synchronize_session=False)
            )
        report.lapsed += len(lapsed)
        seconds = round(time.perf_counter() - started, 3)
        report.models[name] = {
            "version": spec.version,
            "digest": spec.digest,
            "hits": len(found),
            "new": len(inserts),
            "refreshed": len(updates),
            "lapsed": len(lapsed),
            "seconds": seconds,
            "query_seconds": query_seconds,
        }
        if spec.reopens_follow_up and found:
            from hub.clues.followup import reopen_follow_ups

            report.followed_up += reopen_follow_ups(session, spec, as_of, found, actor=actor)
        if progress is not None:
            progress(name, len(found))
    run.models = report.models
    run.hits, run.new, run.refreshed, run.lapsed = report.hits, report.new, report.refreshed, report.lapsed
    run.finished_at = dt.datetime.now(dt.UTC)
    audit.append(
        session,
        actor=actor,
        action="clues.run",
        object_type="clue_run",
        object_id=str(run.id),
        after=sorted(c["key"] for c in report.clues),
        detail={
            "as_of": as_of.isoformat(),
            "models": report.models,
            "new": report.new,
            "refreshed": report.refreshed,
            "lapsed": report.lapsed,
        },
    )
    return report
