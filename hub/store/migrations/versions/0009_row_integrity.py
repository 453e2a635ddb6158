"""row integrity and names in free text: keyed row tags; case titles with a public form and a sealed original

* ``row_tags`` on ``cases``, ``parties``, ``recommendations``, ``replies``, ``clocks``, ``escalations`` and
  ``clocks.state_tags``: one keyed tag per audited field (``hub.store.integrity``), so ``pilhub audit verify``
  names the table, row and field of a direct edit.
* ``cases.title_enc``: a title that names one of its case's natural persons (or holds an ID or phone number)
  keeps its public form in ``title`` (余水生 → 余某某, ``hub.free_text``) and the original sealed here.
* Stored agency records whose prose (facts, measures, outcome, notes) names their persons get the same
  treatment inside their JSON: public form in ``payload``, original in ``personal_enc``
  (``hub.ingest.free_text_records``).

Existing rows are migrated in place: titles are masked against their cases' person parties (decrypted with
the configured keys) and every row of the six tables is tagged as it is now — the first sealing trusts the
store's content, so run ``pilhub audit verify`` and re-import the registry export before upgrading a store you
do not trust. A store without rows needs no key.

Revision ID: 0009_row_integrity
Revises: 0008_calendar
Create Date: 2026-12-05 08:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_row_integrity"
down_revision = "0008_calendar"
branch_labels = None
depends_on = None

TAGGED = ("cases", "parties", "recommendations", "replies", "clocks", "escalations")


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("title_enc", sa.Text(), nullable=True))
    for table in TAGGED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("row_tags", sa.Text(), nullable=True))
    with op.batch_alter_table("clocks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("state_tags", sa.Text(), nullable=True))
    migrate_existing_rows(op.get_bind())


def migrate_existing_rows(conn: sa.Connection) -> None:
    """Mask the titles of existing cases and the prose of stored agency records; tag every existing row."""
    if conn.execute(sa.text("SELECT 1 FROM agency_records LIMIT 1")).first():
        from hub.ingest.free_text_records import mask_stored_records

        mask_stored_records(conn)
    if not any(conn.execute(sa.text(f"SELECT 1 FROM {table} LIMIT 1")).first() for table in TAGGED):
        return
    from hub.free_text import seal_text
    from hub.personal_data import decrypt
    from hub.store import integrity

    names: dict[int, list[str]] = {}
    for case_pk, name_enc in conn.execute(
        sa.text(
            "SELECT case_pk, name_enc FROM parties WHERE kind = 'person' AND name_enc IS NOT NULL ORDER BY case_pk, position"
        )
    ):
        names.setdefault(case_pk, []).append(decrypt(name_enc, "parties.name") or "")
    for pk, title, title_enc, procurator_enc in conn.execute(
        sa.text("SELECT id, title, title_enc, procurator_enc FROM cases ORDER BY id")
    ).all():
        if title_enc is not None:
            continue
        persons = [*names.get(pk, []), *([decrypt(procurator_enc, "cases.procurator")] if procurator_enc else [])]
        sealed = seal_text(title, [p for p in persons if p], "cases.title")
        if sealed.sealed is not None:
            conn.execute(
                sa.text("UPDATE cases SET title = :t, title_enc = :e WHERE id = :pk"),
                {"t": sealed.public, "e": sealed.sealed, "pk": pk},
            )
    for table in TAGGED:
        ids = [r[0] for r in conn.execute(sa.text(f"SELECT id FROM {table}"))]
        integrity.seal_rows(conn, table, ids)


def downgrade() -> None:
    with op.batch_alter_table("clocks", schema=None) as batch_op:
        batch_op.drop_column("state_tags")
    for table in reversed(TAGGED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("row_tags")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("title_enc")
