"""Key rotation re-encrypts every personal-data column in resumable batches, without breaking reads."""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hub.cli.main import app
from hub.ingest.landing import land
from hub.ingest.loader import PERSONAL_COLUMN, RAW_COLUMN
from hub.ingest.sealing import BODY_COLUMN, open_bytes, seal_json
from hub.personal_data import decrypt, encrypt, key_id_of, keyring, reset_keyring
from hub.registry.importer import import_cases, read_lines
from hub.samples import SAMPLE_CASES
from hub.store import open_store
from hub.store.models import AgencyRecord, Base, KeyRotation, QuarantineItem
from hub.trust.rotation import (
    ENCRYPTED_COLUMNS,
    RotationError,
    RotationRefused,
    remaining,
    reseal_rows,
    rotate,
    rotation_status,
)

runner = CliRunner()
NOW = datetime(2026, 3, 1, tzinfo=UTC)


SAMPLE_LINES = 20  # 20 cases, 5 natural persons: every column has rows, and the suite stays fast


class Interrupted(Exception):
    pass


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    """For behaviour that does not depend on the database (the main paths also run on PostgreSQL)."""
    from hub.store.db import reset_caches

    yield f"sqlite:///{tmp_path / 'store.db'}"
    reset_caches()


def _load(factory: sessionmaker[Session]) -> None:
    """Sample cases (parties, procurators) plus one row in each ingestion table with sealed data."""
    import_cases(list(read_lines(SAMPLE_CASES))[:SAMPLE_LINES], factory)
    with factory() as s, s.begin():
        for i in range(3):
            # Sealed exactly the way the ingestion pipeline seals them (its own helpers and column names).
            land(
                s,
                agency_code="QZ-HBJ",
                stream="penalties",
                body="罚款 黄志强".encode("gb18030") + bytes([i]),
                request={"url": "http://sandbox/penalties"},
                status_code=200,
                content_type="text/csv",
                fetched_at=NOW,
            )
            s.add(
                AgencyRecord(
                    agency_code="QZ-HBJ",
                    stream="penalties",
                    source_id=f"P{i}",
                    kind="env_penalty",
                    schema_version="1",
                    payload={},
                    content_hash="h",
                    fetched_at=NOW,
                    personal_enc=seal_json({"name": f"张{i}"}, PERSONAL_COLUMN),
                )
            )
            s.add(
                QuarantineItem(
                    agency_code="QZ-HBJ",
                    stream="penalties",
                    kind="env_penalty",
                    schema_version="1",
                    raw_enc=seal_json({"id": i}, RAW_COLUMN),
                    raw_hash="h",
                )
            )


def _plaintexts(factory: sessionmaker[Session]) -> dict[tuple[str, int], object]:
    """Every sealed value, decrypted, keyed by (column, primary key)."""
    out: dict[tuple[str, int], object] = {}
    with factory() as s:
        for col in ENCRYPTED_COLUMNS:
            table = col.table_obj
            cols = [table.c.id, table.c[col.column]] + ([table.c[col.key_id_column]] if col.key_id_column else [])
            for row in s.execute(select(*cols).where(table.c[col.column].is_not(None))):
                if col.key_id_column:
                    out[(col.name, row[0])] = open_bytes(row[1], row[2])
                else:
                    out[(col.name, row[0])] = decrypt(row[1], col.associated)
    return out


def _key_ids(factory: sessionmaker[Session]) -> set[str]:
    ids: set[str] = set()
    with factory() as s:
        for col in ENCRYPTED_COLUMNS:
            table = col.table_obj
            if col.key_id_column:
                ids |= set(s.scalars(select(table.c[col.key_id_column])))
            else:
                ids |= {
                    key_id_of(t) for t in s.scalars(select(table.c[col.column]).where(table.c[col.column].is_not(None)))
                }
    return ids


def _new_key(monkeypatch: pytest.MonkeyPatch, kid: str = "k2") -> None:
    """The operator's step 2: a new current key, the old one kept for reading."""
    monkeypatch.setenv("PILHUB_OLD_SECRET_KEYS", os.environ["PILHUB_SECRET_KEY"])
    monkeypatch.setenv("PILHUB_SECRET_KEY", f"{kid}:{base64.b64encode(secrets.token_bytes(32)).decode()}")
    reset_keyring()


def test_every_encrypted_column_of_the_store_is_rotated() -> None:
    in_models = {
        f"{t.name}.{c.name}" for t in Base.metadata.tables.values() for c in t.columns if c.name.endswith("_enc")
    }
    assert in_models == {col.name for col in ENCRYPTED_COLUMNS}


def test_rotation_uses_the_column_names_ingestion_seals_under() -> None:
    by_name = {col.name: col.associated for col in ENCRYPTED_COLUMNS}
    assert by_name["raw_landings.body_enc"] == BODY_COLUMN
    assert by_name["quarantine.raw_enc"] == RAW_COLUMN
    assert by_name["agency_records.personal_enc"] == PERSONAL_COLUMN


def test_rotation_reencrypts_everything_and_values_survive(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    factory = open_store(store_url)
    _load(factory)
    before = _plaintexts(factory)
    assert _key_ids(factory) == {"t1"} and len(before) > 30
    _new_key(monkeypatch)
    report = rotate(factory, batch=7)
    assert report.finished and report.rewritten == len(before) and report.skipped == 0
    assert _key_ids(factory) == {"k2"}
    monkeypatch.delenv("PILHUB_OLD_SECRET_KEYS")  # step 4: the old key is gone …
    reset_keyring()
    assert _plaintexts(factory) == before  # … and everything still reads
    with factory() as s:
        status = rotation_status(s)
        assert status["last_rotation"]["status"] == "finished" and status["key_ids_in_use"] == ["k2"]
        actions = s.scalars(text("SELECT action FROM audit_log WHERE object_type = 'key_rotation' ORDER BY id")).all()
    assert actions == ["keys.rotate.start", "keys.rotate.finish"]


def test_interrupted_rotation_resumes_without_redoing_and_old_key_still_decrypts(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    factory = open_store(store_url)
    _load(factory)
    before = _plaintexts(factory)
    _new_key(monkeypatch)

    def crash(batch: int) -> None:
        if batch == 3:
            raise Interrupted

    with pytest.raises(Interrupted):
        rotate(factory, batch=10, on_batch=crash)
    assert _key_ids(factory) == {"t1", "k2"}  # half-way: both key ids in the store …
    assert _plaintexts(factory) == before  # … and every value still decrypts
    with factory() as s:
        rotation = s.execute(select(KeyRotation)).scalar_one()
        assert (
            rotation.status == "running" and rotation.rewritten == 25 and rotation.progress
        )  # 10 + 10 procurators, 5 names
        left = sum(remaining(s).values())
    resumed = rotate(factory, batch=10)
    assert resumed.finished and resumed.rotation_id == rotation.id
    assert resumed.rewritten == left == len(before) - 25  # nothing re-done
    assert _key_ids(factory) == {"k2"} and _plaintexts(factory) == before


def test_refused_when_the_index_key_is_not_pinned(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    factory = open_store(sqlite_url)
    _load(factory)
    _new_key(monkeypatch)
    monkeypatch.delenv("PILHUB_INDEX_KEY")
    reset_keyring()
    with pytest.raises(RotationRefused, match="PILHUB_INDEX_KEY"):
        rotate(factory)
    assert _key_ids(factory) == {"t1"}


def test_refused_when_the_pinned_index_key_is_not_the_one_in_use(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    factory = open_store(sqlite_url)
    _load(factory)
    _new_key(monkeypatch)
    monkeypatch.setenv("PILHUB_INDEX_KEY", base64.b64encode(secrets.token_bytes(32)).decode())
    reset_keyring()
    with pytest.raises(RotationRefused, match="blind index"):
        rotate(factory)
    assert _key_ids(factory) == {"t1"}


def test_a_row_changed_by_a_live_writer_is_not_overwritten(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    factory = open_store(sqlite_url)
    _load(factory)
    _new_key(monkeypatch)
    col = next(c for c in ENCRYPTED_COLUMNS if c.name == "parties.phone_enc")
    with factory() as s, s.begin():
        rows = s.execute(
            text("SELECT id, phone_enc FROM parties WHERE phone_enc IS NOT NULL ORDER BY id LIMIT 2")
        ).all()
        fresh = encrypt("13900000000", "parties.phone")  # the writer's new value, already under k2
        s.execute(text("UPDATE parties SET phone_enc = :v WHERE id = :i"), {"v": fresh, "i": rows[0][0]})
        rewritten, skipped = reseal_rows(s, col, list(rows), keyring())
    assert (rewritten, skipped) == (1, 1)
    with factory() as s:
        assert (
            decrypt(s.scalar(text(f"SELECT phone_enc FROM parties WHERE id = {rows[0][0]}")), "parties.phone")
            == "13900000000"
        )


def test_a_row_that_does_not_decrypt_stops_with_its_batch_rolled_back(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    factory = open_store(sqlite_url)
    _load(factory)
    with factory() as s, s.begin():  # a ciphertext moved into another column: bound to its column, it fails
        s.execute(text("UPDATE parties SET address_enc = name_enc WHERE id = (SELECT min(id) FROM parties)"))
    _new_key(monkeypatch)
    with pytest.raises(RotationError, match=r"parties.address_enc row \d+"):
        rotate(factory, batch=1000)
    with factory() as s:
        assert remaining(s)["parties.address_enc"] == 5  # that batch was rolled back whole


def test_cli_keys_rotate_and_status(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PILHUB_DATABASE_URL", sqlite_url)
    factory = open_store(sqlite_url)
    _load(factory)
    _new_key(monkeypatch)
    status = json.loads(runner.invoke(app, ["keys", "status", "--json"]).stdout)
    assert status["current_key_id"] == "k2" and status["old_key_ids"] == ["t1"] and status["key_ids_in_use"] == ["t1"]
    result = runner.invoke(app, ["keys", "rotate", "--batch", "25"])
    assert result.exit_code == 0, result.output
    status = json.loads(runner.invoke(app, ["keys", "status", "--json"]).stdout)
    assert status["removable_old_key_ids"] == ["t1"] and status["last_rotation"]["status"] == "finished"
    plain = runner.invoke(app, ["keys", "status"]).stdout
    assert os.environ["PILHUB_SECRET_KEY"].split(":")[1] not in plain  # ids only, never key material
    monkeypatch.delenv("PILHUB_INDEX_KEY")
    reset_keyring()
    assert runner.invoke(app, ["keys", "rotate"]).exit_code == 1
