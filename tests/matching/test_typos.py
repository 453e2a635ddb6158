"""One-character slips: identifier typos (check character fails, one character from the party's valid
identifier) and homophone slips of a branch marker or locality, with the shipped pinned model."""

from __future__ import annotations

import json

import pytest

from hub.matching.engine import LinkageEngine
from hub.matching.identifiers import id_check_char, make_credit_code, valid_credit_codes
from hub.matching.pinned import load_pinned


@pytest.fixture
def pinned_engine() -> LinkageEngine:
    model, _header = load_pinned()
    return LinkageEngine(model, id_key=b"test-key")


def _levels(result, i: int) -> dict[str, str]:
    return {c["comparison"]: c["level"] for c in result.explanation(i)["comparisons"]}


def _substitute(code: str, i: int, alphabet: str) -> str:
    return code[:i] + next(c for c in alphabet if c != code[i]) + code[i + 1 :]


def test_credit_code_typo_is_a_slip_of_that_code_and_a_valid_other_code_is_not(pinned_engine, case, record) -> None:
    code = make_credit_code("91330802", "MA2DK4P7")
    other = make_credit_code("91330802", "MA2DK4P8")
    typo = _substitute(code, 10, "0123456789ABCDEFGHJKLMNPQRTUWXY")
    assert valid_credit_codes([typo]).to_pylist() == [None]  # a single substitution breaks the check
    party = {"name": "衢州市柯城区华龙化工有限公司", "kind": "company", "credit_code": code}
    cases = [case("C1", parties=[party])]
    # no name on the records: only the code can tie them to the case
    recs = [record("R1", credit_code=typo), record("R2", credit_code=other)]
    result = pinned_engine.predict(pinned_engine.prepare(cases, recs))
    rows = {r: i for i, r in enumerate(result.links["record_id"])}
    assert "R1" in rows and _levels(result, rows["R1"])["credit_code"] == "typo"
    assert result.links.iloc[rows["R1"]]["decision"] in ("link", "review")
    assert "R2" not in rows or _levels(result, rows["R2"])["credit_code"] == "different"


def test_id_number_typo_links_the_person_and_never_shows_the_number(pinned_engine, case, record) -> None:
    body = "33080219800101123"
    idno = body + id_check_char(body)
    typo = idno[:9] + ("7" if idno[9] != "7" else "8") + idno[10:]
    party = {"name": "王建国", "kind": "person", "id_number": idno, "address": "柯城区石室乡石室村"}
    cases = [case("C1", parties=[party])]
    recs = [record("R1", party_name="王建国", id_number=typo, region_code="330802")]
    result = pinned_engine.predict(pinned_engine.prepare(cases, recs))
    assert list(result.links["decision"]) == ["link"]
    assert _levels(result, 0)["id_number"] == "typo"
    text = json.dumps(result.explanation(0), ensure_ascii=False)
    assert idno not in text and typo not in text


def test_homophone_slip_of_a_branch_is_still_that_branch(pinned_engine, case, record) -> None:
    code = make_credit_code("91330802", "MA2DK4P7")
    party = {"name": "浙江华龙化工有限公司湖口分公司", "kind": "company", "credit_code": code}
    parent = {"name": "浙江华龙化工有限公司", "kind": "company", "credit_code": None}
    cases = [case("C1", parties=[party]), case("C2", parties=[parent])]
    recs = [record("R1", party_name="华龙化工有限公司胡口分贡司", credit_code=code)]
    result = pinned_engine.predict(pinned_engine.prepare(cases, recs))
    got = dict(zip(result.links["case_id"], result.links["decision"], strict=True))
    assert got.get("C1") == "link"
    assert got.get("C2") != "link"  # the parent is another subject
