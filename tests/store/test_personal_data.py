"""Personal data is sealed at rest, bound to its column, searchable by keyed hash, rotatable."""

from __future__ import annotations

import base64
import secrets

import pytest
from cryptography.exceptions import InvalidTag

from hub import personal_data as pd


@pytest.fixture(autouse=True)
def _fresh_keys():
    pd.reset_keyring()
    yield
    pd.reset_keyring()


def _key(kid: str) -> str:
    return f"{kid}:{base64.b64encode(secrets.token_bytes(32)).decode()}"


def test_round_trip_and_no_plaintext() -> None:
    token = pd.encrypt("张建国", "parties.name")
    assert token is not None and "张建国" not in token
    assert token.startswith("v1:t1:")
    assert pd.decrypt(token, "parties.name") == "张建国"
    assert pd.encrypt("张建国", "parties.name") != token  # random nonce: equal values do not look equal


def test_ciphertext_is_bound_to_its_column() -> None:
    token = pd.encrypt("330802197001011234", "parties.id_number")
    with pytest.raises(InvalidTag):
        pd.decrypt(token, "parties.name")


def test_blind_index_is_keyed_and_normalised() -> None:
    a = pd.blind_index("id_number", "33080219700101123x")
    assert a == pd.blind_index("id_number", " 33080219700101123X ")
    assert a != pd.blind_index("person_name", "33080219700101123X")
    assert pd.blind_index("id_number", None) is None and pd.blind_index("id_number", "  ") is None


def test_old_key_still_decrypts_after_rotation(monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = _key("k1"), _key("k2")
    monkeypatch.setenv("PILHUB_SECRET_KEY", old)
    pd.reset_keyring()
    token = pd.encrypt("13800001111", "parties.phone")
    monkeypatch.setenv("PILHUB_SECRET_KEY", new)
    monkeypatch.setenv("PILHUB_OLD_SECRET_KEYS", old)
    pd.reset_keyring()
    assert pd.decrypt(token, "parties.phone") == "13800001111"
    assert pd.key_id_of(pd.encrypt("x", "parties.phone")) == "k2"
    monkeypatch.delenv("PILHUB_OLD_SECRET_KEYS")
    pd.reset_keyring()
    with pytest.raises(pd.PersonalDataKeyError, match="k1"):
        pd.decrypt(token, "parties.phone")


@pytest.mark.parametrize("bad", ["nokeyid", "k1:notbase64!!", "k1:" + base64.b64encode(b"short").decode()])
def test_malformed_key_is_refused_without_echoing_it(monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    monkeypatch.setenv("PILHUB_SECRET_KEY", bad)
    pd.reset_keyring()
    with pytest.raises(pd.PersonalDataKeyError) as info:
        pd.keyring()
    assert bad.split(":")[-1] not in str(info.value) or bad == "nokeyid"


def test_embedded_default_creates_a_private_key_file(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.delenv("PILHUB_SECRET_KEY")
    monkeypatch.delenv("PILHUB_INDEX_KEY")
    monkeypatch.setenv("PILHUB_VAR_DIR", str(tmp_path))
    pd.reset_keyring()
    token = pd.encrypt("李秀英", "parties.name")
    keyfile = tmp_path / "keys" / "pilhub-keys.json"
    assert keyfile.exists() and oct(keyfile.stat().st_mode & 0o777) == "0o600"
    pd.reset_keyring()  # a second process reads the same file
    assert pd.decrypt(token, "parties.name") == "李秀英"


def test_mask_name() -> None:
    assert pd.mask_name("张三") == "张*"
    assert pd.mask_name("欧阳建国") == "欧***"
    assert pd.mask_name(None) is None
