"""Referral proposals over HTTP, for the dashboard: listed in the caller's jurisdiction, confirmed once, rejected
with a reason, and the supervisory commission told only on confirmation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from hub.store.db import open_store
from hub.store.models import Escalation, OutboxMessage
from sla.sweep import sweep
from tests.api.conftest import TODAY, auth, build_client, load_sample, make_tokens


def _commission_messages(url: str) -> int:
    with open_store(url)() as s:
        return len(
            s.scalars(
                select(OutboxMessage.id).join(Escalation).where(Escalation.level_name == "supervisory_referral")
            ).all()
        )


def test_referrals_are_decided_by_a_supervisor_never_by_the_sweep(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    load_sample(url)
    tokens = make_tokens(tmp_path)
    sweep(open_store(url), as_of=TODAY)
    assert _commission_messages(url) == 0
    with build_client(url, tokens) as client:
        listed: list[dict[str, Any]] = client.get("/api/v1/referrals", headers=auth(tokens.admin)).json()["proposals"]
        assert listed and all(p["decision"] is None for p in listed)
        assert client.get("/api/v1/referrals", headers=auth(tokens.congress)).status_code == 403
        mine = client.get("/api/v1/referrals", headers=auth(tokens.kecheng)).json()["proposals"]
        assert {p["id"] for p in mine} <= {p["id"] for p in listed}
        first = listed[0]["id"]
        outsider = (
            tokens.jiangshan
            if not any(
                p["id"] == first
                for p in client.get("/api/v1/referrals", headers=auth(tokens.jiangshan)).json()["proposals"]
            )
            else tokens.kecheng
        )
        assert client.post(f"/api/v1/referrals/{first}/confirm", headers=auth(outsider)).status_code == 403
        assert client.post(f"/api/v1/referrals/{first}/reject", json={}, headers=auth(tokens.admin)).status_code == 422
        ok = client.post(
            f"/api/v1/referrals/{first}/confirm", json={"reason": "涉嫌怠于履职"}, headers=auth(tokens.admin)
        )
        assert ok.status_code == 200 and ok.json()["decision"] == "confirmed"
        assert _commission_messages(url) >= 1
        sent = _commission_messages(url)
        again = client.post(f"/api/v1/referrals/{first}/confirm", headers=auth(tokens.admin))
        assert again.status_code == 409 and _commission_messages(url) == sent
        if len(listed) > 1:
            no = client.post(
                f"/api/v1/referrals/{listed[1]['id']}/reject",
                json={"reason": "无违纪违法线索"},
                headers=auth(tokens.admin),
            )
            assert no.status_code == 200 and no.json()["decision"] == "rejected"
            assert _commission_messages(url) == sent
        assert client.post("/api/v1/referrals/999999/confirm", headers=auth(tokens.admin)).status_code == 404
