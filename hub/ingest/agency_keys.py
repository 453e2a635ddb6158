"""An agency's registered public keys for a pull (the SDK's :class:`~connectors.sdk.signatures.AgencyKeys`).

The validity rule and key formats are those of :mod:`hub.trust.agency_keys`
(``valid_from <= at < valid_to``), so ``pilhub keys agency add/retire`` govern both record
signatures and the trust module.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.sdk.records import Reason, RecordRejected
from hub.store.models import AgencyKey

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def _reject(code: str, zh: str, en: str, field: str = "signature") -> RecordRejected:
    return RecordRejected(Reason(field, code, zh, en))


class AgencyKeys:
    """An agency's registered public keys, read once per pull (one query, not one per record).

    The validity rule and key formats are those of :mod:`hub.trust.agency_keys`
    (``valid_from <= at < valid_to``), so ``pilhub keys agency add/retire`` govern both.
    """

    def __init__(self, agency_code: str, rows: list[AgencyKey]) -> None:
        self.agency_code = agency_code
        self._rows: dict[str, list[AgencyKey]] = {}
        self._public: dict[int, Ed25519PublicKey | None] = {}
        for row in rows:
            if row.algorithm == "ed25519":
                self._rows.setdefault(row.key_id, []).append(row)

    @classmethod
    def load(cls, session: Session, agency_code: str) -> AgencyKeys:
        rows = list(session.execute(select(AgencyKey).where(AgencyKey.agency_code == agency_code)).scalars())
        for row in rows:
            session.expunge(row)
        return cls(agency_code, rows)

    def _public_key(self, row: AgencyKey) -> Ed25519PublicKey | None:
        from hub.trust.signing import load_public_key

        if id(row) not in self._public:
            try:
                self._public[id(row)] = load_public_key(row.public_key)
            except (ValueError, TypeError):
                self._public[id(row)] = None
        return self._public[id(row)]

    def key_for(self, key_id: str, at: datetime) -> Ed25519PublicKey:
        """The key ``key_id`` valid at ``at``; raise :class:`RecordRejected` with the trust module's reason."""
        from hub.trust.agency_keys import key_validity_error

        if not self._rows:
            raise _reject(
                "signature.no_key",
                f"{self.agency_code} 未登记任何公钥",
                f"no public key is registered for {self.agency_code}",
            )
        rows = self._rows.get(key_id)
        if not rows:
            raise _reject(
                "signature.unknown_key",
                f"{self.agency_code} 未登记密钥 {key_id or '（未标明）'}",
                f"{self.agency_code} has no registered key {key_id or '(none named)'}",
            )
        refusals = []
        for row in rows:
            refusal = key_validity_error(row, at)
            public = self._public_key(row)
            if refusal is None and public is not None:
                return public
            refusals.append(refusal)
        refusal = next((r for r in refusals if r is not None), None)
        if refusal is None:
            raise _reject("signature.no_key", "登记的公钥无法读取", "the registered public key cannot be read")
        raise _reject(refusal.code, refusal.zh, refusal.en)
