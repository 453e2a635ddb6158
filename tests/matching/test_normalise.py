"""Normalisation: company names, branches, addresses, region codes, reference numbers, identifiers."""

from __future__ import annotations

import pytest

from hub.matching.identifiers import (
    hash_id_numbers,
    id_check_char,
    make_credit_code,
    normalise_reference_numbers,
    valid_credit_codes,
    valid_id_numbers,
)
from hub.matching.normalise import Gazetteer, name_parts, parse_addresses, region_levels

GAZ = Gazetteer.from_tokens(["衢州市", "柯城区", "衢江区", "江山市", "赣县区", "上饶市", "鄱阳县"])


def parts(names: list[str]) -> list[tuple[str, str, str, str]]:
    p = name_parts(names, GAZ)
    return list(zip(p.kind.to_pylist(), p.core.to_pylist(), p.zihao.to_pylist(), p.branch.to_pylist(), strict=True))


@pytest.mark.parametrize(
    "name",
    [
        "浙江华龙化工有限公司",
        "华龙化工有限责任公司",
        "华龙化工股份有限公司",
        "衢州市华龙化工厂",
        "（衢州）华龙化工有限公司",
        "华龙化工(衢州)有限公司",
        "柯城区华龙化工集团有限公司",
        "淅江华龙化工有限公司",  # shape slip in the province
        "华龙化工有艰公司",  # one slipped character in the legal form
        "华龙化工实业有限公司",
    ],
)
def test_company_variants_share_a_core(name: str) -> None:
    kind, core, zihao, branch = parts([name])[0]
    assert (kind, core, zihao, branch) == ("company", "华龙化工", "华龙", "")


def test_branch_is_kept_apart_from_parent() -> None:
    rows = parts(
        [
            "浙江华龙化工有限公司衢江分公司",
            "华龙化工衢江区分公司",
            "华龙化工有限公司(衢江分公司)",
            "浙江华龙化工有限公司",
        ]
    )
    assert [r[1] for r in rows] == ["华龙化工"] * 4
    assert [r[3] for r in rows] == ["衢江", "衢江", "衢江", ""]


def test_branch_locality_from_gazetteer() -> None:
    rows = parts(["桂翠米粉赣县分公司", "桂翠米粉股份有限公司赣县分厂", "上饶福章沥青实业有限公司鄱阳分厂"])
    assert [r[3] for r in rows] == ["赣县", "赣县", "鄱阳"]
    assert rows[2][1] == "福章沥青"


def test_kinds_and_agencies() -> None:
    rows = parts(
        [
            "王建国",
            "柯城区环保局",
            "衢州市柯城区生态环境局",
            "华龙公司",
            "华龙化工",
            "衢州市生态环境局柯城分局",
            "衢州市生态环境局",
        ]
    )
    assert [r[0] for r in rows] == ["person", "agency", "agency", "company", "company", "agency", "agency"]
    assert rows[1][1] == rows[2][1] == rows[5][1] == "柯城生态环境局"
    assert rows[6][1] == "衢州生态环境局"
    assert rows[3][1] == "华龙"


def test_addresses_any_order_and_missing_levels() -> None:
    a = parse_addresses(
        [
            "浙江省衢州市柯城区石室乡荷一村12号",
            "石室乡荷一村12号，衢州市柯城区",
            "柯城区石室乡",
            "衢州市江山市贺村镇耕读村",
            None,
        ]
    )
    assert a["town"].to_pylist() == ["石室乡", "石室乡", "石室乡", "贺村镇", None]
    assert a["village"].to_pylist() == ["荷一村", "荷一村", None, "耕读村", None]
    assert a["county"].to_pylist() == ["柯城区", "柯城区", "柯城区", "江山市", None]
    assert a["province"].to_pylist()[0] == "浙江省"


def test_region_levels() -> None:
    r = region_levels(["330802", "330800", "330000", "33", None])
    assert r["county"].tolist() == [330802, -1, -1, -1, -1]
    assert r["prefecture"].tolist() == [3308, 3308, -1, -1, -1]
    assert r["province"].tolist() == [33, 33, 33, -1, -1]


def test_reference_numbers_any_bracket_width() -> None:
    got = normalise_reference_numbers(
        [
            "（2018）浙0824民初123号",
            "(2018)浙0824民初0123号",
            "［2018］浙0824民初第123号",
            "衢检行公建〔2018〕3号",
            "衢检行公建[2018]第03号",
            "衢检行公建【2018】3号",
            "",
            None,
        ]
    ).to_pylist()
    assert got[:3] == ["(2018)浙0824民初123号"] * 3
    assert got[3:6] == ["衢检行公建(2018)3号"] * 3
    assert got[6:] == [None, None]


def test_credit_codes_validated() -> None:
    code = make_credit_code("91330802", "MA2DK4P7")
    typo = code[:10] + ("0" if code[10] != "0" else "1") + code[11:]
    got = valid_credit_codes([code, code.lower(), f" {code[:9]} {code[9:]}", typo, "abc", None]).to_pylist()
    assert got == [code, code, code, None, None, None]


def test_id_numbers_validated_and_hashed() -> None:
    body = "33080219800101123"
    full = body + id_check_char(body)
    old = "330802800101123"  # 15-digit form of the same number
    assert valid_id_numbers([full, old, full[:-1] + "0", None]).to_pylist() == [full, full, None, None]
    hashes = hash_id_numbers([full, old, "bad"], key=b"k").to_pylist()
    assert hashes[0] == hashes[1] and hashes[2] is None
    assert full not in hashes[0] and hash_id_numbers([full], key=b"other").to_pylist()[0] != hashes[0]


def test_place_prefix_allows_one_slip_not_two() -> None:
    gaz = Gazetteer.from_tokens(["上饶市", "万年县", "浙江省"])
    rows = parts_with(
        gaz,
        [
            "淅江华龙化工有限公司",  # one shape slip in the province: still a place
            "万年华龙化工有限公司",
            "玉莲脐橙种植实业有限公司",
        ],
    )  # 玉莲 has the char key of 万年, but differs twice
    assert [r[1] for r in rows] == ["华龙化工", "华龙化工", "玉莲脐橙种植"]


def test_county_district_named_after_a_county() -> None:
    # 赣县区 (a district that kept the old county's name) is one county token, and a whole prefix
    got = parse_addresses(["江西省赣州市赣县区鹰源乡荷田村"])
    assert got["county"].to_pylist() == ["赣县区"]
    gaz = Gazetteer.from_tokens(got["county"].to_pylist() + got["city"].to_pylist())
    assert parts_with(gaz, ["赣县区紫璟脐橙种植股份有限公司"])[0][1] == "紫璟脐橙种植"


def test_trade_name_when_the_industry_word_is_unlisted() -> None:
    # 种植 is a listed industry word, 脐橙 is not: the 字号 is still the first two characters
    rows = parts(["衢州市翠莲脐橙种植有限责任公司", "翠莲公司", "华龙化工"])
    assert [r[2] for r in rows] == ["翠莲", "翠莲", "华龙"]


def parts_with(gaz: Gazetteer, names: list[str]) -> list[tuple[str, str, str, str]]:
    p = name_parts(names, gaz)
    return list(zip(p.kind.to_pylist(), p.core.to_pylist(), p.zihao.to_pylist(), p.branch.to_pylist(), strict=True))
