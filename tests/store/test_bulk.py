"""Bulk writes of new rows (``COPY`` on PostgreSQL): what goes in comes back unchanged, NULL stays NULL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from hub.store.bulk import insert_rows
from hub.store.db import open_store
from hub.store.models import Clue, ClueRun


def test_rows_round_trip_with_awkward_text(store_url: str) -> None:
    """Tabs, line ends, backslashes, quotes, Chinese text, an empty string and NULL survive the copy format."""
    now = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
    evidence = [{"role": "anchor", "case_number": "龙林罚决字〔2025〕第1号\t\\N", "note": 'a "b"\r\nc\\', "n": 3}]
    row = {
        "key": "restoration-missing:龙林罚决字〔2025〕第1号",
        "model": "restoration-missing",
        "subject": "\\N",
        "status": "new",
        "holds": True,
        "evidence": evidence,
        "hit_count": 1,
        "title": "生态修复未落实",
        "text": "第一行\n第二行\t\\",
        "domain": "",
        "region_code": None,
        "first_seen": dt.date(2026, 11, 30),
        "last_seen": dt.date(2026, 11, 30),
        "lapsed_on": None,
        "evidence_digest": "0" * 64,
        "last_run_pk": None,
        "created_at": now,
        "updated_at": now,
    }
    factory = open_store(store_url)
    with factory() as session, session.begin():
        session.add(ClueRun(as_of=dt.date(2026, 11, 30), actor="test", models={}))
        insert_rows(session, Clue.__table__, [row, {**row, "key": "k2", "holds": False, "hit_count": 0}])
    with factory() as session:
        clues = session.execute(select(Clue).order_by(Clue.id)).scalars().all()
        assert [c.key for c in clues] == [row["key"], "k2"]
        first = clues[0]
        assert first.evidence == evidence
        assert (first.subject, first.text, first.domain) == ("\\N", "第一行\n第二行\t\\", "")
        assert first.region_code is None and first.lapsed_on is None and first.last_run_pk is None
        assert first.holds is True and clues[1].holds is False and clues[1].hit_count == 0
        assert first.first_seen == dt.date(2026, 11, 30)
        created = first.created_at
        assert (created if created.tzinfo else created.replace(tzinfo=dt.UTC)) == now  # SQLite reads naive UTC
        assert clues[0].id < clues[1].id  # ids from the table's sequence
