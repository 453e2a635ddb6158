"""The in-hub inbox channel: a row in ``inbox_messages`` per dedupe key (a repeated delivery is a no-op)."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from hub.notify.base import Delivery
from hub.store.models import InboxMessage


class InboxChannel:
    """Deliver into the store's inbox, in its own transaction; the unique dedupe key makes it idempotent."""

    name = "inbox"

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    def deliver(self, delivery: Delivery) -> None:
        values = {
            "dedupe_key": delivery.dedupe_key,
            "recipient": delivery.address,
            "subject": delivery.subject,
            "body": delivery.body,
            "payload": {"channel": delivery.channel},
        }
        with self.factory() as session, session.begin():
            dialect = session.get_bind().dialect.name
            if dialect == "postgresql":
                stmt = pg_insert(InboxMessage).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
            elif dialect == "sqlite":
                stmt = (
                    sqlite_insert(InboxMessage).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
                )
            else:  # pragma: no cover - other databases are not supported by the hub
                stmt = insert(InboxMessage).values(**values)
            session.execute(stmt)
