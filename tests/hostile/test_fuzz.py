"""A bounded atheris run over every parser: no undocumented exception, no input slower than 10 s.

Length ``PILHUB_FUZZ_SECONDS`` (default 15), seed ``PILHUB_FUZZ_SEED`` (default 1, so CI is
reproducible; vary it locally to explore). Deselect with ``-m "not fuzz"``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hostile_targets import TARGETS

from hub.samples import SAMPLE_CASES

HARNESS = Path(__file__).with_name("fuzz_parsers.py")
SECONDS = int(os.environ.get("PILHUB_FUZZ_SECONDS", "15"))
SEED = int(os.environ.get("PILHUB_FUZZ_SEED", "1"))

_SEEDS: dict[str, list[str]] = {
    "date": ["2018-03-21", "2018/3/21", "二〇一八年三月二十一日", "20180321", "2018-03-21T08:00:00+08:00"],
    "date_spreadsheet": ["43180", "43180.5", "60"],
    "money": ["125,000元", "12.5万元", "壹拾贰万伍仟元整", "人民币1.2亿元", "叁佰元伍角陆分"],
    "area": ["3.5亩", "2公顷", "1000平方米", "1.2km²"],
    "id_number": ["330824195810038785", "33082219720224610X", "330824581003878"],
    "credit_code": ["91330800MA29U2KX1P", "913308007236045851"],
    "region_code": ["330824", "110101"],
    "case_number": ["（2018）浙0824民初123号", "（2014）衢柯民初字第123号"],
    "doc_number": ["衢检行公建〔2018〕3号", "龙林罚决字〔2018〕第12号"],
    "registry_line": [SAMPLE_CASES.read_text(encoding="utf-8").splitlines()[0]],
    "body_json": ['{"data": {"items": [{"id": 1}]}, "next": "abc"}'],
    "body_jsonl": ['{"id": 1}\n{"id": 2}\n'],
    "body_csv": ["决定书文号,当事人,金额\n衢环罚〔2018〕1号,某公司,125000\n"],
    "body_xml": ['<?xml version="1.0"?><records><record id="1"><name>衢州</name></record></records>'],
    "decode_body": ["衢州市生态环境局,罚款"],
    "calendar_notice": [
        "国务院办公厅关于2024年部分节假日安排的通知\n一、元旦：1月1日放假，与周末连休。\n二、春节：2月10日至17日放假调休，共8天。2月4日（星期日）、2月18日（星期日）上班。"
    ],
    "yaml_strict": ["agencies:\n- code: 330800-sl\n  name: 衢州市水利局\n  region_code: '330800'\n"],
    "matching_cases": ['{"case_id": "C1", "region_code": "330802", "parties": [{"name": "衢州某公司"}]}'],
    "registry_file": SAMPLE_CASES.read_text(encoding="utf-8").splitlines()[:2],
    "validate_jsonl": ['{"recommendation_number": "柯检行公建〔2018〕3号", "received_date": "2018-03-10"}'],
    "validate_csv": ["recommendation_number,received_date\n柯检行公建〔2018〕3号,2018年3月10日\n"],
    "text_lines": ["第一行\r\n第二行\n"],
    "record_file_xlsx": ["PK\x03\x04\x14\x00\x00\x00\x08\x00"],
}


def _write_corpus(folder: Path) -> int:
    folder.mkdir()
    count = 0
    for index, target in enumerate(TARGETS):
        for n, seed in enumerate(_SEEDS.get(target.name, [])):
            payload = seed.encode("gb18030" if target.takes_bytes else "utf-8")
            (folder / f"{target.name}-{n}").write_bytes(bytes([index]) + payload)
            count += 1
    return count


@pytest.mark.fuzz
@pytest.mark.timeout(SECONDS + 90)
def test_bounded_fuzz_run_finds_no_undocumented_exception(tmp_path: Path) -> None:
    pytest.importorskip("atheris")
    corpus = tmp_path / "corpus"
    assert _write_corpus(corpus) >= len(TARGETS) - 2
    run = subprocess.run(
        [
            sys.executable,
            str(HARNESS),
            f"-max_total_time={SECONDS}",
            f"-seed={SEED}",
            "-timeout=10",
            "-rss_limit_mb=2048",
            "-max_len=4096",
            f"-artifact_prefix={tmp_path}/",
            str(corpus),
        ],
        capture_output=True,
        text=True,
        timeout=SECONDS + 60,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    crashes = [p.name for p in tmp_path.iterdir() if p.name.startswith(("crash-", "timeout-", "oom-"))]
    tail = run.stderr[-4000:]
    assert run.returncode == 0 and not crashes, f"fuzzing found a failure {crashes}:\n{tail}"
    done = re.search(r"Done (\d+) runs", run.stderr)
    assert done and int(done.group(1)) > 1000, f"the fuzzer barely ran:\n{tail}"
    print(json.dumps({"fuzz_runs": int(done.group(1)), "seconds": SECONDS, "targets": len(TARGETS)}))
