"""A store that already holds clocks and escalations upgrades to the head revision (SQLite, foreign keys on).

``make demo`` leaves such a store in ``var/``; the next version of the hub must open it. A migration that
rebuilds ``clocks`` by copy-and-drop fails there, because ``escalations`` references it.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa


def test_a_store_with_escalations_upgrades_from_0007(tmp_path: Path) -> None:
    from hub.store.db import get_engine, reset_caches, upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    try:
        upgrade(url, "0007_clues")
        with get_engine(url).begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO cases (id, case_id, title, domain, procedure, region_code, district, opened_on, status,"
                    " land_restored_mu, waste_removed_t, money_recovered_yuan, content_hash, field_digests, created_at,"
                    " updated_at) VALUES (1, 'KC-1', 't', 'ecology', 'admin_pre_litigation', '330802', '柯城区',"
                    " '2026-01-05', 'open', 0, 0, 0, 'h', '{}', '2026-01-05', '2026-01-05')"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO clocks (id, clock_key, kind, case_pk, state, explanation, computed_at, short_period,"
                    " incomplete) VALUES (1, 'reply:X', 'reply', 1, 'breached', '{}', '2026-03-06', 0, 0)"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO escalations (id, clock_pk, level, level_name, recipient, due_on, enqueued_at)"
                    " VALUES (1, 1, 2, 'breach_alert', 'case_procurator:KC-1', '2026-03-06', '2026-03-06')"
                )
            )
        upgrade(url)
        with get_engine(url).connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM escalations")).scalar_one() == 1
            assert conn.execute(sa.text("SELECT calendar_missing FROM clocks")).scalar_one() in (0, False)
    finally:
        reset_caches()
