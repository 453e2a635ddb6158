"""Token configuration: only hashes on disk (mode 0600), roles and regions validated, ``pilhub api token`` commands."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from hub.api.tokens import TokenConfigError, TokenStore, create_token, hash_token, revoke_token
from hub.cli import serve_cmd


def test_only_the_hash_is_stored(tmp_path: Path) -> None:
    path = tmp_path / "tokens.yaml"
    token, principal = create_token(path, role="supervisor", region="330802", name="柯城区人民检察院")
    text = path.read_text(encoding="utf-8")
    assert token not in text and hash_token(token) in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert principal.role == "supervisor" and principal.covers("330802") and not principal.covers("330881")
    store = TokenStore(path)
    assert store.authenticate(token) == principal
    assert store.authenticate(token + "x") is None and store.authenticate("") is None


def test_expiry_revocation_and_reload(tmp_path: Path) -> None:
    path = tmp_path / "tokens.yaml"
    store = TokenStore(path)
    old, _ = create_token(path, role="congress", region="3308", name="市人大", expires=dt.date(2026, 1, 1))
    assert store.authenticate(old, today=dt.date(2025, 12, 31)) is not None
    assert store.authenticate(old, today=dt.date(2026, 1, 2)) is None
    fresh, _ = create_token(path, role="admin", region="", name="运维")
    assert store.authenticate(fresh) is not None  # the store re-reads the changed file
    assert revoke_token(path, "运维")
    assert store.authenticate(fresh) is None


@pytest.mark.parametrize(
    ("role", "region", "name"),
    [("root", "", "x"), ("admin", "33a", "x"), ("admin", "3308021", "x"), ("admin", "", " ")],
)
def test_bad_token_settings_are_refused(tmp_path: Path, role: str, region: str, name: str) -> None:
    with pytest.raises(TokenConfigError):
        create_token(tmp_path / "t.yaml", role=role, region=region, name=name)


def test_a_broken_token_file_is_reported_without_secrets(tmp_path: Path) -> None:
    path = tmp_path / "tokens.yaml"
    path.write_text(yaml.safe_dump({"tokens": [{"name": "x", "role": "god", "sha256": "0" * 64}]}))
    with pytest.raises(TokenConfigError, match="role"):
        TokenStore(path).authenticate("anything")


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    monkeypatch.setenv("PILHUB_API_TOKENS_FILE", str(tmp_path / "tokens.yaml"))
    root = typer.Typer()

    @root.callback()
    def _root() -> None:
        pass

    serve_cmd.register(root)
    return root


def test_token_commands(cli: typer.Typer, tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(
        cli, ["api", "token", "create", "--role", "supervisor", "--region", "330802", "--name", "柯城区"]
    )
    assert res.exit_code == 0, res.output
    token = res.stdout.strip().splitlines()[-1]
    assert token.startswith("pil_")
    assert TokenStore(tmp_path / "tokens.yaml").authenticate(token).region == "330802"  # type: ignore[union-attr]
    listed = runner.invoke(cli, ["api", "token", "list"])
    assert listed.exit_code == 0 and "柯城区" in listed.stdout and token not in listed.stdout
    bad = runner.invoke(cli, ["api", "token", "create", "--role", "supervisor", "--region", "33x", "--name", "y"])
    assert bad.exit_code == 2
    assert runner.invoke(cli, ["api", "token", "revoke", "柯城区"]).exit_code == 0
    assert runner.invoke(cli, ["api", "token", "revoke", "柯城区"]).exit_code == 2


def test_serve_runs_the_app_under_uvicorn(cli: typer.Typer, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn
    from fastapi import FastAPI

    seen: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(app=app, **kw))
    res = CliRunner().invoke(cli, ["serve", "--host", "127.0.0.1", "--port", "8123"])
    assert res.exit_code == 0, res.output
    assert isinstance(seen["app"], FastAPI) and seen["port"] == 8123 and seen["host"] == "127.0.0.1"
    assert seen["log_config"] is serve_cmd.LOG_CONFIG  # plain formatters: compatible with log redaction
    assert "api token create" in res.output  # no tokens yet: says how to make one
