"""Nothing secret is ever logged: the filter masks ID numbers, phones and keys; a DEBUG run leaks nothing."""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from hub.samples import SAMPLE_AGENCIES, SAMPLE_CASES
from hub.trust import log_redaction as lr

ID_18 = "330824195810038785"
ID_X = "33082219720224610X"
ID_15 = "330824581003878"
MOBILE = "17457004755"


def _record(msg: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc else None
    return logging.LogRecord("pilhub.test", logging.INFO, __file__, 1, msg, args or None, exc_info)


def _clean(msg: str, *args: object) -> str:
    record = _record(msg, *args)
    assert lr.RedactionFilter().filter(record) is True  # cleans, never drops
    return record.getMessage()


@pytest.mark.parametrize(
    "text",
    [
        f"party id {ID_18} loaded",
        f"id={ID_X.lower()}",
        f"legacy {ID_15}.",
        "grouped 330824 19581003 8785 end",
        "全角 ３３０８２４１９５８１００３８７８５ 号",
        f"身份证号:{ID_18}，",
    ],
)
def test_id_numbers_are_masked(text: str) -> None:
    out = _clean(text)
    assert (
        lr.ID_MASK in out
        and "8785" not in out
        and "8785".translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"}) not in out
    )


@pytest.mark.parametrize(
    "text",
    [
        f"tel {MOBILE}",
        "手机：+86 174-5700-4755",
        "0086 17457004755",
        "电话 0570-8765432",
        "(0570)87654321",
        "phone=174 5700 4755",
    ],
)
def test_phone_numbers_are_masked(text: str) -> None:
    out = _clean(text)
    assert lr.PHONE_MASK in out and "4755" not in out and "765432" not in out


@pytest.mark.parametrize(
    "text",
    [
        "entry_hash 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",  # hashes stay
        "case KC-2017-001 opened 2017-11-15, rec 开检行公建〔2017〕1号",
        "案号（2018）浙0824民初123号 credit 91330800MA29U2KX1P region 330824",
        "took 1732345678 s, 12345 rows, amount 125000.00",
    ],
)
def test_ordinary_values_are_left_alone(text: str) -> None:
    assert _clean(text) == text


def test_key_material_and_configured_secrets_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    password = "S3cret-pg-Pa55"
    monkeypatch.setenv("PILHUB_OLD_SECRET_KEYS", f"k0:{key}")
    monkeypatch.setenv("PILHUB_DATABASE_URL", f"postgresql+psycopg2://hub:{password}@db:5432/hub")
    monkeypatch.setenv("SMTP_PASSWORD", "mail-Pa55word")
    lr.load_configured_secrets()
    lr.add_secret("tok-abcdef-123")
    out = _clean(
        "keys %s and %s url %s smtp %s token %s",
        f"k0:{key}",
        base64.b64encode(secrets.token_bytes(32)).decode(),
        os.environ["PILHUB_DATABASE_URL"],
        "mail-Pa55word",
        "Bearer tok-abcdef-123",
    )
    for leaked in (key, password, "mail-Pa55word", "tok-abcdef-123"):
        assert leaked not in out
    assert out.count(lr.SECRET_MASK) >= 5
    pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIB0aX\n-----END PRIVATE KEY-----"
    assert "MC4CAQ" not in _clean(f"loaded {pem} ok")


def test_exception_tracebacks_are_masked_and_not_re_rendered() -> None:
    try:
        raise ValueError(f"bad party {ID_18} phone {MOBILE}")
    except ValueError as exc:
        record = _record("import failed", exc=exc)
    lr.redact_record(record)
    assert record.exc_info is None and ID_18 not in record.exc_text and MOBILE not in record.exc_text
    assert "ValueError" in record.exc_text
    formatted = logging.Formatter().format(record)
    assert ID_18 not in formatted and lr.ID_MASK in formatted


def test_installed_factory_cleans_records_of_every_logger(tmp_path: Path) -> None:
    lr.install_redaction()
    log_file = tmp_path / "x.log"
    handler = logging.FileHandler(log_file, encoding="utf-8")
    third_party = logging.getLogger("some.library.deep")
    third_party.addHandler(handler)
    third_party.setLevel(logging.DEBUG)
    try:
        third_party.debug("params %r", {"id_number": ID_18, "phone": MOBILE})
    finally:
        third_party.removeHandler(handler)
        handler.close()
    text = log_file.read_text(encoding="utf-8")
    assert ID_18 not in text and MOBILE not in text and lr.ID_MASK in text


def _sample_personal_values() -> set[str]:
    values: set[str] = set()
    for line in SAMPLE_CASES.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        values.add(case["procurator"])
        for party in case["parties"]:
            if party["kind"] == "person":
                values |= {party["name"], party["id_number"], party["phone"], party["address"]}
    return {v for v in values if v}


# One process runs the CLI the way an operator does, logging everything at DEBUG into a file.
_RUN = r"""
import sys
from hub.cli.main import app


def run(args):
    try:
        app(args, standalone_mode=False)
    except SystemExit:
        pass
    except Exception:  # a failing command is logged like any other
        import logging

        logging.getLogger("pilhub.test").exception("command failed: %s", args)


for args in [
    ["agencies", "import", sys.argv[1]],
    ["cases", "import", sys.argv[2]],
    ["cases", "import", sys.argv[3]],
    ["status"],
    ["cases", "list"],
    ["cases", "show", "KC-2017-001"],
    ["audit", "checkpoint"],
    ["audit", "verify"],
    ["keys", "status"],
]:
    run(args)
if len(sys.argv) > 4:  # the slow variant: one pull from the agency sandbox, with bad records and signatures
    from connectors.sandbox import sandbox_env, start_sandbox
    from hub.store import open_store

    with start_sandbox(systems=["environment"], faults=["malformed_records", "bad_signatures"]) as sb, sandbox_env(sb):
        with open_store()() as s, s.begin():
            sb.register_keys(s)
        run(["pull", "environment"])
"""


def _debug_run(tmp_path: Path, *extra: str) -> tuple[str, subprocess.CompletedProcess[str], tuple[str, ...]]:
    """Run ``_RUN`` with fresh keys at DEBUG; return the log text, the process, and the keys used."""
    secret_key = base64.b64encode(secrets.token_bytes(32)).decode()
    index_key = base64.b64encode(secrets.token_bytes(32)).decode()
    signing_key = base64.b64encode(secrets.token_bytes(32)).decode()
    bad = tmp_path / "bad.jsonl"
    first = json.loads(SAMPLE_CASES.read_text(encoding="utf-8").splitlines()[0])
    first["case_id"], first["parties"][0]["id_number"] = "KC-BAD-1", first["parties"][0]["id_number"][:-1] + "0"
    first["opened_on"] = "not a date"
    bad.write_text(json.dumps(first, ensure_ascii=False) + "\n", encoding="utf-8")
    log_file = tmp_path / "pilhub.log"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PILHUB_")},
        "PILHUB_VAR_DIR": str(tmp_path / "var"),
        "PILHUB_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}",
        "PILHUB_SECRET_KEY": f"d1:{secret_key}",
        "PILHUB_INDEX_KEY": index_key,
        "PILHUB_SIGNING_KEY": signing_key,
        "PILHUB_LOG_LEVEL": "DEBUG",
        "PILHUB_LOG_FILE": str(log_file),
        "COLUMNS": "200",
    }
    run = subprocess.run(
        [sys.executable, "-c", _RUN, str(SAMPLE_AGENCIES), str(SAMPLE_CASES), str(bad), *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return log_file.read_text(encoding="utf-8"), run, (secret_key, index_key, signing_key)


def _assert_clean(log: str, run: subprocess.CompletedProcess[str], keys: tuple[str, ...]) -> None:
    leaked = sorted(v for v in _sample_personal_values() if v in log)
    assert leaked == [], f"personal data in the DEBUG log: {len(leaked)} values"
    for key in keys:
        assert key not in log and key not in run.stdout and key not in run.stderr
    assert not [v for v in _sample_personal_values() if v in run.stderr]


def test_full_debug_run_logs_no_personal_data_and_no_keys(tmp_path: Path) -> None:
    log, run, keys = _debug_run(tmp_path)
    assert "INSERT INTO parties" in log and "DEBUG" in log  # it really logged everything, SQL included
    _assert_clean(log, run, keys)


@pytest.mark.slow
def test_debug_pull_from_the_agency_sandbox_logs_no_personal_data(tmp_path: Path) -> None:
    """The same, plus one pull whose raw bodies carry the sample persons' names and ID numbers (about 30 s)."""
    log, run, keys = _debug_run(tmp_path, "--pull")
    assert "INSERT INTO raw_landings" in log and "INSERT INTO quarantine" in log
    _assert_clean(log, run, keys)


def test_airflow_tasks_get_the_redaction_and_airflows_masker_learns_our_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    airflow_log = pytest.importorskip("airflow.sdk.log")
    masked: list[str] = []
    monkeypatch.setattr(airflow_log, "mask_secret", lambda value, name=None: masked.append(value))
    monkeypatch.setenv("PILHUB_INDEX_KEY", base64.b64encode(secrets.token_bytes(32)).decode())
    lr.install_for_airflow()
    assert os.environ["PILHUB_INDEX_KEY"] in masked
    record = logging.getLogRecordFactory()("task", logging.INFO, __file__, 1, "party %s", (ID_18,), None)
    assert lr.ID_MASK in record.getMessage()  # records created in the task are cleaned at birth
