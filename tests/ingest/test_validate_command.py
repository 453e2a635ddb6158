"""``pilhub validate KIND FILE`` on mixed files: summary, reasons, rejects file, exit status."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from hub.cli.main import app

runner = CliRunner()

GOOD = {
    "recommendation_number": "柯检行公建〔2018〕3号",
    "receiving_agency": "衢州市柯城区水利局",
    "received_date": "2018年3月10日",
    "receiver": "王建国",
}


def test_mixed_jsonl_file(tmp_path):
    lines = [
        json.dumps(GOOD, ensure_ascii=False),
        json.dumps({**GOOD, "received_date": "2018-02-30"}, ensure_ascii=False),
        "{not json",
        json.dumps({k: v for k, v in GOOD.items() if k != "receiver"}, ensure_ascii=False),
        json.dumps({**GOOD, "delivery_method": "邮寄送达"}, ensure_ascii=False),
    ]
    path = tmp_path / "receipts.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", "agency.receipt", str(path)])
    assert result.exit_code == 1
    out = result.stdout
    assert "received 5" in out and "valid 2" in out and "invalid 3" in out
    assert "第 3 行" in out and "line 3" in out and "字段 received_date" in out
    rejects = [
        json.loads(line)
        for line in (tmp_path / "receipts.jsonl.rejects.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert [r["line"] for r in rejects] == [2, 3, 4]
    assert rejects[0]["reasons"][0]["field"] == "received_date" and rejects[2]["reasons"][0]["code"] == "missing"


def test_gb18030_csv_all_valid_and_custom_rejects_path(tmp_path):
    path = tmp_path / "receipts.csv"
    header = ",".join(GOOD)
    path.write_bytes(("\n".join([header, ",".join(GOOD.values()), ",".join(GOOD.values())]) + "\n").encode("gb18030"))
    result = runner.invoke(app, ["validate", "agency.receipt", str(path), "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "kind": "agency.receipt",
        "received": 2,
        "valid": 2,
        "invalid": 0,
        "reasons": {},
        "rejects": None,
    }
    bad = tmp_path / "bad.csv"
    bad.write_text(
        header + "\n" + ",".join([*list(GOOD.values())[:2], "someday", "王建国"]) + "\n", encoding="utf-8-sig"
    )
    target = tmp_path / "out"
    target.mkdir()
    result = runner.invoke(app, ["validate", "agency.receipt", str(bad), "--rejects", str(target / "r.jsonl")])
    assert result.exit_code == 1 and (target / "r.jsonl").exists()


def test_unknown_kind_and_missing_file_exit_2(tmp_path):
    assert runner.invoke(app, ["validate", "no.such", str(tmp_path / "x.jsonl")]).exit_code == 2
    assert runner.invoke(app, ["validate", "agency.receipt", str(tmp_path / "missing.jsonl")]).exit_code == 2
