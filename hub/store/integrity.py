"""Keyed row digests: a direct edit of a registry, clock or escalation row is named, field by field.

The audit chain proves what the hub *did*; it says nothing about a row changed behind the hub's
back — ``UPDATE recommendations SET received_on = …`` moves a reply deadline and turns a late
reply into an on-time one, ``UPDATE cases SET title = …`` rewrites what a report says. So each
row of ``cases``, ``parties``, ``recommendations``, ``replies``, ``clocks`` and ``escalations``
carries **tags**: one truncated HMAC-SHA256 per audited field, over
``table | primary key | field | canonical value``, under a key derived from the blind-index key
(``PILHUB_INDEX_KEY``, :mod:`hub.personal_data`) — a key that lives in the hub's environment or
secrets store, never in the database. Whoever can write the database cannot compute a matching
tag, and because each field has its own tag, ``pilhub audit verify`` names the table, the row and
the **field** that no longer matches. The primary key is bound in, so a row's values and tags
copied onto another row do not verify either.

* Sealed columns (``*_enc``) are tagged by their *plaintext*: a key rotation re-encrypts them
  without touching the tags, and a ciphertext moved from another row decrypts to a value whose
  tag does not match.
* ``clocks`` keeps two tag columns: ``row_tags`` for what derivation writes (dates, outcome …) and
  ``state_tags`` for what the set-based sweep rewrites every day (state, level, next check day),
  so the sweep re-tags three fields of the clocks it changed and nothing else.
* Timestamps of bookkeeping (``created_at``, ``computed_at``, ``enqueued_at``) and the import's
  own hashes are not tagged: they decide nothing.

Tags are written in the transaction of the change: by a session hook after every ORM flush
(:func:`install`), and by the sweep for the rows its SQL statements change — on PostgreSQL in the very
``UPDATE`` of the changed clocks and ``INSERT`` of the new escalations, from tags computed here for exactly
those rows (:func:`tag_rows`, :func:`load_tags`); on SQLite by a second pass over the same rows
(:func:`seal_clock_states`, :func:`seal_escalations`). A row whose tags are missing is reported like an
edited one: clearing the tags is an edit too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    MetaData,
    Table,
    Text,
    bindparam,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from hub.personal_data import decrypt, keyring
from hub.store.models import Base, Case, Clock, Escalation, Party, Recommendation, Reply

VERSION = "v1"
TAG_HEX = 12  # 48 bits a field: a forger cannot test guesses offline, and a wrong guess is reported

#: The audited fields of each table, in tag order (changing a list is a new VERSION).
FIELDS: dict[str, tuple[str, ...]] = {
    "cases": (
        "case_id", "title", "title_enc", "domain", "procedure", "region_code", "district", "opened_on", "status",
        "procurator_enc", "procurator_hmac", "land_restored_mu", "waste_removed_t", "money_recovered_yuan",
        "litigation_status",
    ),
    "parties": (
        "case_pk", "position", "kind", "name", "name_enc", "name_hmac", "credit_code", "id_number_enc",
        "id_number_hmac", "phone_enc", "phone_hmac", "address", "address_enc",
    ),
    "recommendations": (
        "rec_number", "case_pk", "agency_pk", "issued_on", "received_on", "urgent", "publicly_delivered", "copied_to",
    ),
    "replies": (
        "recommendation_pk", "seq", "replied_on", "posted_on", "has_evidence", "rectification_due", "rectified",
        "rectified_on", "rebound", "source", "record_pk",
    ),
    "clocks": (
        "clock_key", "kind", "case_pk", "recommendation_pk", "start_on", "period", "deadline_official",
        "deadline_all_weekends", "breach_after", "met_on", "explanation", "inputs_digest", "outcome", "resolved_on",
        "short_period", "incomplete",
    ),
    "escalations": ("clock_pk", "level", "level_name", "recipient", "due_on"),
}  # fmt: skip
#: ``clocks.state_tags``: what the daily sweep rewrites.
STATE_FIELDS: tuple[str, ...] = ("state", "level", "next_check_on")
#: Natural keys shown beside the primary key in findings.
NATURAL_KEY = {
    "cases": "case_id",
    "parties": "position",
    "recommendations": "rec_number",
    "replies": "seq",
    "clocks": "clock_key",
    "escalations": "recipient",
}
#: Sealed columns and the associated data they were sealed under (``hub.personal_data``).
SEALED = {
    ("cases", "title_enc"): "cases.title",
    ("cases", "procurator_enc"): "cases.procurator",
    ("parties", "name_enc"): "parties.name",
    ("parties", "id_number_enc"): "parties.id_number",
    ("parties", "phone_enc"): "parties.phone",
    ("parties", "address_enc"): "parties.address",
}
MODELS: dict[str, type[Base]] = {
    "cases": Case,
    "parties": Party,
    "recommendations": Recommendation,
    "replies": Reply,
    "clocks": Clock,
    "escalations": Escalation,
}
_UNREADABLE = "\x00unreadable"


@lru_cache(maxsize=4)
def _base(index_key: bytes) -> Any:
    return hmac.new(hmac.new(index_key, b"pilhub-row-integrity", hashlib.sha256).digest(), digestmod=hashlib.sha256)


def _text(value: Any) -> str:
    if value is None:
        return "\x00null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f")
    if isinstance(value, datetime):
        return (value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_text)
    return str(value)


def _plain(table: str, name: str, value: Any) -> Any:
    column = SEALED.get((table, name))
    if column is None or value is None:
        return value
    try:
        return decrypt(value, column)
    except Exception:  # noqa: BLE001 - a value that does not decrypt (moved, garbled, unknown key) is a finding
        return _UNREADABLE


def field_tags(table: str, pk: int, row: Mapping[str, Any], fields: Sequence[str]) -> list[str]:
    """One tag per field of ``row`` (values as read from the store)."""
    base = _base(keyring().index_key)
    out = []
    for name in fields:
        h = base.copy()
        h.update(f"{table}|{pk}|{name}|{_text(_plain(table, name, row[name]))}".encode())
        out.append(h.hexdigest()[:TAG_HEX])
    return out


def pack(tags: Sequence[str]) -> str:
    return VERSION + ":" + "".join(tags)


def unpack(stored: str | None, count: int) -> list[str] | None:
    """The stored tags, or None when missing or malformed (itself a finding)."""
    if not stored or not stored.startswith(VERSION + ":"):
        return None
    body = stored[len(VERSION) + 1 :]
    if len(body) != count * TAG_HEX:
        return None
    return [body[i * TAG_HEX : (i + 1) * TAG_HEX] for i in range(count)]


def _table(name: str) -> Table:
    return Base.metadata.tables[name]  # type: ignore[return-value]


def _chunks(values: Sequence[int], size: int = 5000) -> Iterator[Sequence[int]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def seal_rows(conn: Connection, table: str, pks: Iterable[int]) -> int:
    """Write the tags of these rows from their values as stored now (read back, so both engines agree)."""
    t = _table(table)
    ids = sorted(set(pks))
    fields = FIELDS[table]
    state = table == "clocks"
    written = 0
    for chunk in _chunks(ids):
        cols = [t.c.id, *(t.c[f] for f in fields), *((t.c[f] for f in STATE_FIELDS) if state else ())]
        rows = conn.execute(select(*cols).where(t.c.id.in_(chunk))).mappings().all()
        params = []
        for row in rows:
            item = {"pk_": row["id"], "tags_": pack(field_tags(table, row["id"], row, fields))}
            if state:
                item["state_"] = pack(field_tags(table, row["id"], row, STATE_FIELDS))
            params.append(item)
        if params:
            values = {"row_tags": bindparam("tags_")}
            if state:
                values["state_tags"] = bindparam("state_")
            conn.execute(update(t).where(t.c.id == bindparam("pk_")).values(values), params)
            written += len(params)
    return written


def seal_clock_states(conn: Connection, ids_query: str, params: Mapping[str, Any] | None = None) -> int:
    """Re-tag state, level and next check day of the clocks ``ids_query`` (SQL returning ids) names.

    Called by the sweep in its transaction, right after its set-based ``UPDATE``: three tags per changed
    clock, computed from the values as stored (one read), written back in one statement.
    """
    t = _table("clocks")
    query = text(f"SELECT c.id, c.state, c.level, c.next_check_on FROM clocks c WHERE c.id IN ({ids_query})").columns(
        t.c.id, t.c.state, t.c.level, t.c.next_check_on
    )  # typed: SQLite hands back dates as text otherwise
    out = [
        {"pk_": row.id, "tags_": pack(field_tags("clocks", row.id, row._mapping, STATE_FIELDS))}
        for row in conn.execute(query, dict(params or {}))
    ]
    _bulk_set(conn, "clocks", "state_tags", out)
    return len(out)


def tag_rows(table: str, rows: Iterable[Sequence[Any]], fields: Sequence[str]) -> list[tuple[int, str]]:
    """``(primary key, packed tags)`` of rows given as ``(pk, value of each field in order)`` — values about to be
    written, so a set-based statement can write them and their tags together (no second pass over the rows)."""
    base = _base(keyring().index_key)
    out = []
    for row in rows:
        pk = row[0]
        tags = []
        for name, value in zip(fields, row[1:], strict=True):
            h = base.copy()
            h.update(f"{table}|{pk}|{name}|{_text(_plain(table, name, value))}".encode())
            tags.append(h.hexdigest()[:TAG_HEX])
        out.append((pk, pack(tags)))
    return out


def load_tags(conn: Connection, name: str, tags: Sequence[tuple[int, str]]) -> None:
    """PostgreSQL: the tags computed here (the key never reaches the database) as a temporary table ``name``
    (``pk``, ``tags``; dropped at commit), for the sweep's ``UPDATE`` and ``INSERT`` to join — streamed by
    ``COPY`` with psycopg2, else sent as two arrays — and analysed, so the join is planned on its real size."""
    conn.exec_driver_sql(f"CREATE TEMP TABLE {name} (pk BIGINT, tags TEXT) ON COMMIT DROP")
    if tags:
        if conn.dialect.driver == "psycopg2":
            import io

            buffer = io.StringIO("".join(f"{pk}\t{packed}\n" for pk, packed in tags))
            with conn.connection.dbapi_connection.cursor() as cursor:  # type: ignore[union-attr]
                cursor.copy_expert(f"COPY {name} (pk, tags) FROM STDIN", buffer)
        else:
            conn.execute(
                text(f"INSERT INTO {name} SELECT * FROM unnest(CAST(:ids AS BIGINT[]), CAST(:tags AS TEXT[]))"),
                {"ids": [pk for pk, _ in tags], "tags": [packed for _, packed in tags]},
            )
    conn.exec_driver_sql(f"ANALYZE {name}")


def last_escalation_id(conn: Connection) -> int:
    """The highest escalation id now (read from the primary key's index): the sweep's new rows come above it."""
    t = _table("escalations")
    return int(conn.execute(select(func.coalesce(func.max(t.c.id), 0))).scalar_one())


def seal_escalations(conn: Connection, enqueued_at: datetime, *, after_id: int = 0) -> int:
    """Tag the escalations enqueued at ``enqueued_at`` (the sweep's run timestamp) with ids above ``after_id``
    (a range read of the primary key rather than a scan of every escalation), in the sweep's transaction."""
    t = _table("escalations")
    fields = FIELDS["escalations"]
    rows = conn.execute(
        select(t.c.id, *(t.c[f] for f in fields)).where(t.c.id > after_id, t.c.enqueued_at == enqueued_at)
    )
    out = [{"pk_": row.id, "tags_": pack(field_tags("escalations", row.id, row._mapping, fields))} for row in rows]
    _bulk_set(conn, "escalations", "row_tags", out)
    return len(out)


def _bulk_set(conn: Connection, table: str, column: str, params: list[dict[str, Any]]) -> None:
    """``UPDATE table SET column = … WHERE id = …`` for many rows in one joined UPDATE: from two arrays on
    PostgreSQL, from a temporary table filled by multi-row INSERTs on SQLite."""
    if not params:
        return
    if conn.dialect.name == "postgresql":  # one statement: the values travel as two arrays
        # Index probes for the rows named, not a merge join over the whole primary key (a million clocks for
        # the day's forty thousand); the caller's planner settings are restored after.
        switches = ("enable_mergejoin", "enable_hashjoin", "enable_nestloop")
        saved = {name: conn.exec_driver_sql(f"SHOW {name}").scalar_one() for name in switches}
        conn.exec_driver_sql("SET LOCAL enable_mergejoin = off; SET LOCAL enable_hashjoin = off; "
                             "SET LOCAL enable_nestloop = on")  # fmt: skip
        conn.execute(
            text(
                f"UPDATE {table} SET {column} = v.tags FROM unnest(CAST(:ids AS BIGINT[]), CAST(:tags AS TEXT[])) "
                f"AS v(pk, tags) WHERE {table}.id = v.pk"
            ),
            {"ids": [p["pk_"] for p in params], "tags": [p["tags_"] for p in params]},
        )
        conn.exec_driver_sql("; ".join(f"SET LOCAL {name} = {value}" for name, value in saved.items()))
        return
    name = f"tag_{table}"
    tmp = Table(
        name, MetaData(), Column("pk", BigInteger, primary_key=True), Column("tags", Text), prefixes=["TEMPORARY"]
    )
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {'temp.' if conn.dialect.name == 'sqlite' else ''}{name}")
    tmp.create(conn)
    conn.execute(insert(tmp), [{"pk": p["pk_"], "tags": p["tags_"]} for p in params])
    conn.exec_driver_sql(f"UPDATE {table} SET {column} = {name}.tags FROM {name} WHERE {table}.id = {name}.pk")
    tmp.drop(conn)


# --- the session hook -----------------------------------------------------------------


def _after_flush(session: Session, _context: Any) -> None:
    touched: dict[str, set[int]] = {}
    for obj in (*session.new, *session.dirty):
        table = getattr(obj, "__tablename__", None)
        if table in FIELDS and getattr(obj, "id", None) is not None and obj not in session.deleted:
            touched.setdefault(table, set()).add(obj.id)
    if touched:
        conn = session.connection()
        for table, pks in touched.items():
            seal_rows(conn, table, pks)


_installed = False


def install() -> None:
    """Tag every audited row an ORM flush writes, in the flush's transaction (idempotent)."""
    global _installed
    if not _installed:
        event.listen(Session, "after_flush", _after_flush)
        _installed = True


# --- verification ---------------------------------------------------------------------


@dataclass(frozen=True)
class RowFinding:
    table: str
    pk: int
    key: str | None
    fields: tuple[str, ...]
    reason_zh: str
    reason_en: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "id": self.pk,
            "key": self.key,
            "fields": list(self.fields),
            "reason_zh": self.reason_zh,
            "reason_en": self.reason_en,
        }

    def line(self) -> str:
        key = f" ({self.key})" if self.key else ""
        return f"{self.table} #{self.pk}{key}: {', '.join(self.fields)} — {self.reason_zh} / {self.reason_en}"


@dataclass
class RowsReport:
    checked: dict[str, int] = field(default_factory=dict)
    findings: list[RowFinding] = field(default_factory=list)
    limit: int = 1000
    more: int = 0

    @property
    def ok(self) -> bool:
        return not self.findings and not self.more

    def add(self, finding: RowFinding) -> None:
        if len(self.findings) < self.limit:
            self.findings.append(finding)
        else:
            self.more += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "findings": [f.as_dict() for f in self.findings],
            "more_findings": self.more,
        }


def _compare(report: RowsReport, table: str, row: Mapping[str, Any], fields: Sequence[str], stored: str | None) -> None:
    pk = row["id"]
    key = row.get(NATURAL_KEY[table])
    expected = unpack(stored, len(fields))
    if expected is None:
        report.add(
            RowFinding(table, pk, None if key is None else str(key), ("(tags)",),
                       "行摘要缺失或格式错误（被清除或绕过平台写入）", "row tags missing or malformed (cleared, or written around the hub)")
        )  # fmt: skip
        return
    actual = field_tags(table, pk, row, fields)
    bad = tuple(f for f, a, e in zip(fields, actual, expected, strict=True) if a != e)
    if bad:
        report.add(
            RowFinding(table, pk, None if key is None else str(key), bad,
                       "字段值与平台写入时不符（被直接修改）", "field no longer matches what the hub wrote (edited directly)")
        )  # fmt: skip


def verify_rows(
    session: Session, *, tables: Sequence[str] | None = None, on_rows: Callable[[int], None] | None = None
) -> RowsReport:
    """Recompute every audited row's tags and name each row and field that does not match."""
    report = RowsReport()
    conn = session.connection()
    for table in tables or FIELDS:
        t = _table(table)
        fields = FIELDS[table]
        state = table == "clocks"
        extra = [t.c.state_tags, *(t.c[f] for f in STATE_FIELDS)] if state else []
        query = select(t.c.id, t.c.row_tags, *(t.c[f] for f in fields), *extra).order_by(t.c.id)
        count = 0
        for row in conn.execution_options(yield_per=5000).execute(query).mappings():
            count += 1
            _compare(report, table, row, fields, row["row_tags"])
            if state:
                _compare(report, table, row, STATE_FIELDS, row["state_tags"])
            if on_rows and count % 5000 == 0:
                on_rows(5000)
        report.checked[table] = count
        if on_rows:
            on_rows(count % 5000)
    return report


def seal_all(session: Session, *, tables: Sequence[str] | None = None) -> dict[str, int]:
    """Tag every row of the audited tables as it is now (an existing store's first sealing; trusts its content)."""
    conn = session.connection()
    out = {}
    for table in tables or FIELDS:
        t = _table(table)
        ids = [r[0] for r in conn.execute(select(t.c.id))]
        out[table] = seal_rows(conn, table, ids)
    return out
