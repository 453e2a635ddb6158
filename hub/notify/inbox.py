"""The in-hub inbox channel: a row in ``inbox_messages`` per dedupe key (a repeated delivery is a no-op).

The row's ``payload`` keeps the hub-signed notice (``hub.notify.signed``) under ``"notice"``:
``{"file", "document", "manifest"}``. An inbox message is therefore as provable as a mailed one —
``pilhub notices export KEY --out DIR`` writes the document and its manifest for ``pilhub verify``
(or openssl), and an edit of the stored text no longer matches the signed document.
"""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from hub.notify.base import Delivery, DeliveryError
from hub.notify.signed import notice_for
from hub.store.models import InboxMessage
from hub.trust.signing import SigningKeyError


class InboxChannel:
    """Deliver into the store's inbox, in its own transaction; the unique dedupe key makes it idempotent."""

    name = "inbox"

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    def deliver(self, delivery: Delivery) -> None:
        try:
            notice = notice_for(delivery)
        except SigningKeyError as exc:  # never store an unsigned notice; retried once the key is fixed
            raise DeliveryError(f"通知签名失败 / cannot sign the notice: {exc}") from None
        values = {
            "dedupe_key": delivery.dedupe_key,
            "recipient": delivery.address,
            "subject": delivery.subject,
            "body": delivery.body,
            "payload": {"channel": delivery.channel, "notice": notice.as_payload()},
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
