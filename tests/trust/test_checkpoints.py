"""Signed checkpoints anchor the audit chain: direct edits, consistent rewrites and deleted checkpoints are caught."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hub import audit
from hub.cli.main import app
from hub.store import open_store
from hub.store.models import AuditEntry
from hub.trust.checkpoints import CheckpointRefused, anchor_path, checkpoint_now, create_checkpoint, verify_trail

runner = CliRunner()


def _fill(factory: sessionmaker[Session], start: int, n: int) -> None:
    with factory() as s, s.begin():
        for i in range(start, start + n):
            audit.append(
                s,
                actor="test",
                action="case.import",
                object_type="case",
                object_id=f"C{i}",
                after={"i": i},
                detail={"n": i},
            )


def _id_of(factory: sessionmaker[Session], object_id: str) -> int:
    with factory() as s:
        return s.execute(text("SELECT id FROM audit_log WHERE object_id = :o"), {"o": object_id}).scalar_one()


def _rewrite_consistently(factory: sessionmaker[Session], object_id: str) -> None:
    """What an insider with write access would do: edit a row, recompute every later hash and the head."""
    with factory() as s, s.begin():
        entries = list(s.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars())
        prev = audit.GENESIS
        for entry in entries:
            if entry.object_id == object_id:
                entry.actor = "intruder"
            new_hash = audit.entry_hash(prev, entry)
            s.execute(
                text("UPDATE audit_log SET actor = :a, prev_hash = :p, entry_hash = :h WHERE id = :i"),
                {"a": entry.actor, "p": prev, "h": new_hash, "i": entry.id},
            )
            prev = new_hash
        s.execute(text("UPDATE audit_head SET last_hash = :h WHERE id = 1"), {"h": prev})
        s.expunge_all()


def test_checkpoint_signs_the_head_and_the_trail_verifies(store_url: str) -> None:
    factory = open_store(store_url)
    _fill(factory, 0, 5)
    cp = checkpoint_now(factory)
    _fill(factory, 5, 3)
    with factory() as s:
        report = verify_trail(s)
    assert report.ok, report.reason
    assert (cp.entries, report.chain.checked, report.checkpoints_checked) == (5, 8, 1)
    assert report.last_checkpoint_entry_id == _id_of(factory, "C4")
    assert report.entries_after_last_checkpoint == 3 and report.anchored_checked == 1
    line = json.loads(anchor_path().read_text().splitlines()[0])
    assert line["id"] == cp.id and line["signature"] == cp.signature and line["last_hash"] == cp.last_hash


def test_cli_audit_verify_catches_a_direct_database_edit(use_store: str) -> None:
    factory = open_store(use_store)
    _fill(factory, 0, 5)
    assert runner.invoke(app, ["audit", "checkpoint"]).exit_code == 0
    ok = runner.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    with factory() as s, s.begin():
        s.execute(text("UPDATE audit_log SET detail = :d WHERE object_id = 'C2'"), {"d": json.dumps({"n": 99})})
    result = runner.invoke(app, ["audit", "verify", "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["first_broken_entry_id"] == _id_of(factory, "C2")
    assert "tampered" in report["chain_reason"] or "does not match" in report["chain_reason"]


def test_consistent_rewrite_of_the_whole_chain_is_caught_by_the_checkpoint(store_url: str) -> None:
    factory = open_store(store_url)
    _fill(factory, 0, 6)
    cp = checkpoint_now(factory)
    _fill(factory, 6, 2)
    _rewrite_consistently(factory, "C1")
    with factory() as s:
        assert audit.verify_chain(s).ok  # the hash chain alone is fooled …
        report = verify_trail(s)
    assert not report.ok  # … the signed checkpoint is not
    assert report.first_bad_checkpoint_id == cp.id and "rewritten" in report.reason


def test_checkpoint_row_edited_in_the_database_fails_its_signature(store_url: str) -> None:
    factory = open_store(store_url)
    _fill(factory, 0, 4)
    cp = checkpoint_now(factory)
    _rewrite_consistently(factory, "C0")
    with factory() as s, s.begin():  # the insider also "updates" the checkpoint to match
        new_head = s.execute(text("SELECT last_hash FROM audit_head")).scalar_one()
        s.execute(text("UPDATE audit_checkpoints SET last_hash = :h WHERE id = :i"), {"h": new_head, "i": cp.id})
    with factory() as s:
        report = verify_trail(s)
    assert not report.ok and report.first_bad_checkpoint_id == cp.id and "bad signature" in report.reason


def test_deleting_a_middle_checkpoint_breaks_the_checkpoint_chain(store_url: str) -> None:
    factory = open_store(store_url)
    ids = []
    for start in (0, 3, 6):
        _fill(factory, start, 3)
        ids.append(checkpoint_now(factory).id)
    with factory() as s, s.begin():
        s.execute(text("DELETE FROM audit_checkpoints WHERE id = :i"), {"i": ids[1]})
    with factory() as s:
        report = verify_trail(s, use_anchor=False)
    assert not report.ok and report.first_bad_checkpoint_id == ids[2] and "deleted" in report.reason


def test_deleting_the_newest_checkpoints_and_rewriting_is_caught_by_the_anchor(store_url: str) -> None:
    factory = open_store(store_url)
    _fill(factory, 0, 3)
    checkpoint_now(factory)
    _fill(factory, 3, 3)
    last = checkpoint_now(factory)
    with factory() as s, s.begin():
        s.execute(text("DELETE FROM audit_checkpoints WHERE id = :i"), {"i": last.id})
    _rewrite_consistently(factory, "C4")
    with factory() as s:
        assert verify_trail(s, use_anchor=False).ok  # the store alone can no longer tell
        report = verify_trail(s)
    assert not report.ok and report.first_bad_checkpoint_id == last.id and "anchored" in report.reason


def test_entries_deleted_before_a_checkpoint_are_caught(store_url: str) -> None:
    factory = open_store(store_url)
    _fill(factory, 0, 5)
    checkpoint_now(factory)
    with factory() as s, s.begin():
        s.execute(text("DELETE FROM audit_log WHERE object_id IN ('C3', 'C4')"))
    _rewrite_consistently(factory, "none")
    with factory() as s, s.begin():
        last = s.execute(text("SELECT max(id) FROM audit_log")).scalar_one()
        s.execute(text("UPDATE audit_head SET last_entry_id = :i WHERE id = 1"), {"i": last})
    with factory() as s:
        assert audit.verify_chain(s).ok
        report = verify_trail(s)
    assert not report.ok and "gone" in report.reason


def test_no_checkpoint_is_signed_over_a_broken_chain(store_url: str) -> None:
    factory = open_store(store_url)
    _fill(factory, 0, 3)
    with factory() as s, s.begin():
        s.execute(text("UPDATE audit_log SET actor = 'intruder' WHERE object_id = 'C1'"))
    with pytest.raises(CheckpointRefused), factory() as s, s.begin():
        create_checkpoint(s)


def test_checkpoint_signed_by_a_retired_hub_key_still_verifies_when_trusted(
    store_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from hub.trust.signing import hub_signer, public_key_pem, reset_signer

    factory = open_store(store_url)
    _fill(factory, 0, 2)
    checkpoint_now(factory)
    old_pub = tmp_path / "old.pub.pem"
    old_pub.write_text(public_key_pem(hub_signer().public_key))
    monkeypatch.setenv("PILHUB_SIGNING_KEY", "")  # switch to a new key (the embedded one)
    reset_signer()
    with factory() as s:
        assert "unknown key" in (verify_trail(s).reason or "")
    monkeypatch.setenv("PILHUB_SIGNING_TRUSTED_KEYS", str(old_pub))
    with factory() as s:
        assert verify_trail(s).ok


def test_a_deleted_chain_head_is_caught(store_url: str) -> None:
    factory = open_store(store_url)
    _fill(factory, 0, 2)
    with factory() as s, s.begin():
        s.execute(text("DELETE FROM audit_head"))
    with factory() as s:
        report = verify_trail(s)
    assert not report.ok and "head" in report.reason


def test_default_anchor_is_one_file_per_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PILHUB_AUDIT_ANCHOR")
    monkeypatch.setenv("PILHUB_DATABASE_URL", "postgresql://hub:secret@db/one")
    one = anchor_path()
    monkeypatch.setenv("PILHUB_DATABASE_URL", "postgresql://hub:other@db/one")
    assert anchor_path() == one  # the password is not part of the store's identity
    monkeypatch.setenv("PILHUB_DATABASE_URL", "postgresql://hub:secret@db/two")
    assert anchor_path() != one and one.parent.name == "audit" and "secret" not in one.name
