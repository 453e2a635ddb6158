"""Concurrent users and exposure: racing token changes, reads without the write lock, render limits, 404s, digests.

* ``pilhub api token create`` / ``revoke`` racing in 24 processes lose nothing;
* a malformed token file stops the server at start, and breaks nothing but authentication (503) at run time;
* API reads go through while another process holds SQLite's write lock;
* heavy renders are limited per token (429 with Retry-After) and a PDF still comes from the worker process;
* another district's case is indistinguishable from a case that does not exist;
* the audit chain keeps a keyed digest of free-text report filters, never the text.
"""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from hub.api.errors import ApiError
from hub.api.renders import RenderPool
from hub.api.tokens import TokenConfigError, TokenStore, create_token, revoke_token
from hub.store.db import open_store
from hub.store.models import AuditEntry

RACERS = 12  # 12 creating + 12 revoking = 24 processes


def _race(path: str, barrier: Any, action: str, index: int, out: Any) -> None:
    barrier.wait()
    if action == "create":
        token, _ = create_token(Path(path), role="supervisor", region="330802", name=f"新-{index}")
        out.put((index, token))
    else:
        out.put((index, revoke_token(Path(path), f"旧-{index}")))


def test_racing_token_creates_and_revokes_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "tokens.yaml"
    old = [create_token(path, role="congress", region="3308", name=f"旧-{i}")[0] for i in range(RACERS)]
    ctx = multiprocessing.get_context("fork")
    barrier, created, revoked = ctx.Barrier(2 * RACERS), ctx.Queue(), ctx.Queue()
    procs = [ctx.Process(target=_race, args=(str(path), barrier, "create", i, created)) for i in range(RACERS)]
    procs += [ctx.Process(target=_race, args=(str(path), barrier, "revoke", i, revoked)) for i in range(RACERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    new = dict(created.get(timeout=5) for _ in range(RACERS))
    assert all(revoked.get(timeout=5)[1] for _ in range(RACERS))
    names = {t["name"] for t in yaml.safe_load(path.read_text(encoding="utf-8"))["tokens"]}
    assert names == {f"新-{i}" for i in range(RACERS)}, names
    store = TokenStore(path)
    assert all(store.authenticate(token) is not None for token in new.values())
    assert all(store.authenticate(token) is None for token in old)
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".tokens.yaml.*"))


def test_malformed_token_file_is_a_startup_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import typer
    from typer.testing import CliRunner

    from hub.api.app import create_app
    from hub.cli import serve_cmd

    path = tmp_path / "tokens.yaml"
    path.write_text("tokens:\n  - name: x\n    role: [unclosed\n", encoding="utf-8")
    with pytest.raises(TokenConfigError, match="YAML"):
        create_app("sqlite:///unused.db", tokens=TokenStore(path))
    monkeypatch.setenv("PILHUB_API_TOKENS_FILE", str(path))
    started: list[Any] = []
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: started.append(a))
    root = typer.Typer()
    root.callback()(lambda: None)
    serve_cmd.register(root)
    result = CliRunner().invoke(root, ["serve"])
    assert result.exit_code == 2 and not started and isinstance(result.exception, SystemExit)
    assert "令牌文件" in result.output and "malformed" in result.output


def test_token_file_broken_while_serving_is_503_then_recovers(
    api_env: tuple[str, Any], api_helpers: Any, tmp_path: Path, bearer: Any
) -> None:
    url, _ = api_env
    tokens = api_helpers.make_tokens(tmp_path)
    with api_helpers.build_client(url, tokens) as client:
        assert client.get("/api/v1/me", headers=bearer(tokens.admin)).status_code == 200
        good = tokens.path.read_text(encoding="utf-8")
        tokens.path.write_text(good.replace("role: admin", "role: root", 1), encoding="utf-8")
        res = client.get("/api/v1/me", headers=bearer(tokens.admin))
        assert res.status_code == 503 and res.json()["error"] == "token_config_invalid"
        assert client.get("/api/v1/me", headers=bearer(tokens.congress)).status_code == 503  # fail closed
        tokens.path.write_text(good, encoding="utf-8")
        assert client.get("/api/v1/me", headers=bearer(tokens.admin)).status_code == 200


def test_reads_go_through_while_another_process_holds_the_write_lock(
    client: Any, api_env: tuple[str, Any], tokens: Any, bearer: Any
) -> None:
    url, _ = api_env
    client.get("/api/v1/me", headers=bearer(tokens.admin))  # open the store first (migrations write)
    holder = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=1, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # e.g. an import running
    try:
        for path, params, token in [
            ("/api/v1/figures", {"year": 2018}, tokens.congress),
            ("/api/v1/cases", {}, tokens.kecheng),
            ("/api/v1/clocks/overdue", {}, tokens.kecheng),
            ("/api/v1/cases/KC-2018-010", {}, tokens.admin),
            ("/api/v1/meta", {}, tokens.kecheng),
        ]:
            started = time.perf_counter()
            res = client.get(path, params=params, headers=bearer(token))
            assert res.status_code == 200, (path, res.text)
            assert time.perf_counter() - started < 2, f"{path} waited for the write lock"
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_heavy_renders_are_limited_per_token(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    monkeypatch.setattr("hub.api.renders._render", lambda figures, fmt: release.wait(10) and b"%PDF-1.7")
    pool = RenderPool(workers=0, per_token=1)
    first = threading.Thread(target=pool.render, args=("市人大", {}, "pdf"))
    first.start()
    deadline = time.monotonic() + 5
    while pool.in_flight("市人大") == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    with pytest.raises(ApiError) as refused:
        pool.render("市人大", {}, "pdf")
    assert refused.value.status == 429 and refused.value.headers == {"Retry-After": "5"}
    other = threading.Thread(target=pool.render, args=("柯城区", {}, "xlsx"))  # another token is not held up
    other.start()
    assert pool.render("市人大", {"x": 1}, "json") != b""  # light formats are never limited
    release.set()
    first.join(5)
    other.join(5)
    assert pool.in_flight("市人大") == 0 and pool.in_flight("柯城区") == 0


def test_heavy_report_is_rendered_in_a_worker_process_and_audited(
    client: Any, api_env: tuple[str, Any], tokens: Any, bearer: Any
) -> None:
    res = client.get("/api/v1/report", params={"year": 2018, "format": "xlsx"}, headers=bearer(tokens.congress))
    assert res.status_code == 200 and res.content[:2] == b"PK"
    url, _ = api_env
    with open_store(url)() as session:
        entry = session.execute(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).scalar_one()
    assert entry.action == "report.generate" and entry.detail["format"] == "xlsx"


@pytest.mark.parametrize("suffix", ["", "/timeline"])
def test_another_districts_case_is_indistinguishable_from_a_missing_one(
    client: Any, tokens: Any, bearer: Any, suffix: str
) -> None:
    other = client.get(f"/api/v1/cases/KC-2017-003{suffix}", headers=bearer(tokens.kecheng))  # a 江山市 case
    missing = client.get(f"/api/v1/cases/KC-1999-999{suffix}", headers=bearer(tokens.kecheng))
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()
    assert client.get(f"/api/v1/cases/KC-2017-003{suffix}", headers=bearer(tokens.jiangshan)).status_code != 404


def test_audit_keeps_a_digest_of_free_text_filters(
    client: Any, api_env: tuple[str, Any], tokens: Any, bearer: Any
) -> None:
    from hub.personal_data import blind_index

    typed = "余水生 13800138000"  # what a careless user pastes into the district box
    res = client.get(
        "/api/v1/report", params={"year": 2018, "district": typed, "format": "json"}, headers=bearer(tokens.admin)
    )
    assert res.status_code == 200
    url, _ = api_env
    with open_store(url)() as session:
        entry = session.execute(
            select(AuditEntry).where(AuditEntry.action == "report.generate").order_by(AuditEntry.id.desc()).limit(1)
        ).scalar_one()
    stored = json.dumps(
        {"detail": entry.detail, "object": entry.object_id, "after": entry.after_digest}, ensure_ascii=False
    )
    assert "余水生" not in stored and "13800138000" not in stored
    assert entry.detail["filters"]["district"] == f"hmac-sha256:{blind_index('report_filter', typed)}"
    assert entry.detail["filters"]["domain"] is None  # codes are kept as they are


def test_policy_is_parsed_once_per_version_of_its_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hub.reports.figures import current_policy
    from sla.policy import ENV_POLICY_FILE, SHIPPED_POLICY

    path = tmp_path / "escalation.yaml"
    path.write_text(SHIPPED_POLICY.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv(ENV_POLICY_FILE, str(path))
    first = current_policy()
    assert current_policy() is first  # every request after the first: no YAML parsed
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited by the operator\n", encoding="utf-8")
    assert current_policy() is not first  # an edit is read on the next request
    path.write_text("not: [valid", encoding="utf-8")
    with pytest.raises(Exception, match="YAML"):
        current_policy()
