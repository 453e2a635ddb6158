"""The audit log is a hash chain: a direct edit or deletion in the database is caught."""

from __future__ import annotations

from sqlalchemy import text

from hub import audit
from hub.store import open_store


def _fill(factory, n: int = 5) -> None:
    with factory() as s, s.begin():
        for i in range(n):
            audit.append(
                s,
                actor="test",
                action="case.import",
                object_type="case",
                object_id=f"C{i}",
                after={"i": i},
                detail={"n": i},
            )


def test_intact_chain_verifies(store_url: str) -> None:
    factory = open_store(store_url)
    _fill(factory)
    with factory() as s:
        report = audit.verify_chain(s)
    assert report.ok and report.checked == 5


def test_direct_edit_is_caught_at_that_row(store_url: str) -> None:
    factory = open_store(store_url)
    _fill(factory)
    with factory() as s, s.begin():
        s.execute(text("UPDATE audit_log SET actor = 'intruder' WHERE object_id = 'C2'"))
    with factory() as s:
        third = s.execute(text("SELECT id FROM audit_log WHERE object_id = 'C2'")).scalar_one()
        report = audit.verify_chain(s)
    assert not report.ok and report.first_broken_id == third


def test_deleted_rows_are_caught(store_url: str) -> None:
    factory = open_store(store_url)
    _fill(factory)
    with factory() as s, s.begin():
        s.execute(text("DELETE FROM audit_log WHERE object_id = 'C1'"))
    with factory() as s:
        assert not audit.verify_chain(s).ok
    with factory() as s, s.begin():
        s.execute(text("DELETE FROM audit_log WHERE object_id = 'C4'"))
    with factory() as s:
        assert not audit.verify_chain(s).ok


def test_tail_deletion_is_caught(store_url: str) -> None:
    factory = open_store(store_url)
    _fill(factory)
    with factory() as s, s.begin():
        s.execute(text("DELETE FROM audit_log WHERE object_id = 'C4'"))
    with factory() as s:
        report = audit.verify_chain(s)
    assert not report.ok and "head" in report.reason
