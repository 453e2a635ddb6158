"""Exact keys, the truth rule's gates, term frequencies, explanations, review decisions."""

from __future__ import annotations

import math

import pytest

from hub.matching.identifiers import id_check_char, make_credit_code
from hub.matching.model import LinkageModel

CODE = make_credit_code("91330802", "MA2DK4P7")
ADDR = "浙江省衢州市柯城区石室乡荷一村12号"


def company(name: str = "浙江华龙化工有限公司", **kw) -> dict:
    return {
        "name": name,
        "kind": "company",
        "credit_code": kw.get("credit_code", CODE),
        "id_number": None,
        "address": kw.get("address", ADDR),
    }


def person(name: str, id_number: str | None, address: str | None = ADDR) -> dict:
    return {"name": name, "kind": "person", "credit_code": None, "id_number": id_number, "address": address}


def ident(tail: str) -> str:
    body = "330802198001011" + tail
    return body + id_check_char(body)


def decisions(engine, cases, records) -> dict[tuple[str, str], str]:
    res = engine.predict(engine.prepare(cases, records))
    return {
        (r, c): d for r, c, d in zip(res.links["record_id"], res.links["case_id"], res.links["decision"], strict=True)
    }


def test_exact_credit_code_links_an_abbreviated_name(engine, case, record) -> None:
    got = decisions(
        engine, [case(parties=[company()])], [record(party_name="华龙公司", credit_code=CODE.lower(), region_code=None)]
    )
    assert got == {("R1", "C1"): "link"}


def test_court_case_number_any_bracket_width(engine, case, record) -> None:
    cases = [case(parties=[company()], court_case_numbers=["（2023）浙0802民初77号"])]
    recs = [record(source="court", party_name="华龙化工", court_case_number="(2023)浙0802民初077号", region_code=None)]
    assert decisions(engine, cases, recs) == {("R1", "C1"): "link"}


def test_public_body_needs_a_cited_number_and_stays_linear(engine, case, record) -> None:
    # one agency, addressee of 300 cases; replies cite a recommendation number, or not
    cases = [case(f"C{i}", parties=[company(f"华龙{i}化工有限公司", credit_code=None)]) for i in range(1, 301)]
    # the environment bureau's own system is the "environment" source, which ecology cases take
    recs = [
        record("R1", source="environment", party_name="柯城区环保局", doc_number="柯检行公建[2023]17号"),
        record("R2", source="environment", party_name="衢州市柯城区生态环境局", doc_number=None),
        record("R3", source="environment", party_name="衢州市柯城区生态环境局", doc_number="柯检行公建〔2023〕999号"),
    ]
    res = engine.predict(batch := engine.prepare(cases, recs))
    got = set(zip(res.links["record_id"], res.links["case_id"], strict=True))
    assert got == {("R1", "C17")}
    assert batch.stats.candidate_pairs < 50  # names of public bodies are never blocked on


def test_branch_and_parent_are_different_subjects(engine, case, record) -> None:
    cases = [case(parties=[company()])]
    recs = [
        record("R1", party_name="浙江华龙化工有限公司衢江分公司", address=ADDR),
        record("R2", party_name="浙江华龙化工有限公司", address=ADDR),
    ]
    assert decisions(engine, cases, recs) == {("R2", "C1"): "link"}


def test_same_name_people(engine, case, record) -> None:
    cases = [case(parties=[person("王建国", ident("23"))])]
    recs = [
        record("R1", party_name="王建国", id_number=ident("45"), address=ADDR),  # IDs disagree
        record(
            "R2", party_name="王建国", id_number=None, address="浙江省衢州市柯城区航埠镇北二村3号"
        ),  # address disagrees
        record("R3", party_name="王建国", id_number=None, address=ADDR),  # one ID missing, nothing disagrees
        record("R4", party_name="王建国", id_number=ident("23"), address=None),  # IDs agree
    ]
    got = decisions(engine, cases, recs)
    assert set(got) == {("R3", "C1"), ("R4", "C1")}
    assert got[("R4", "C1")] == "link"


def test_domain_must_fit_the_source(engine, case, record) -> None:
    cases = [case("C1", parties=[company()]), case("C2", domain="food_drug", parties=[company()])]
    recs = [record("R1", source="market", party_name="华龙化工", credit_code=CODE)]
    assert decisions(engine, cases, recs) == {("R1", "C2"): "link"}


def test_record_dated_too_early(engine, case, record) -> None:
    cases = [case(parties=[company()], opened_on="2023-03-01")]
    recs = [
        record("R1", party_name="华龙化工", credit_code=CODE, date="2022-01-30"),  # 395 days before
        record("R2", party_name="华龙化工", credit_code=CODE, date="2022-03-31"),
    ]  # 335 days before
    assert decisions(engine, cases, recs) == {("R2", "C1"): "link"}


def test_common_trade_name_weighs_less(engine, case, record) -> None:
    # 40 cases with a 华龙化工 in different counties, two with a rare name; records carry no region
    # (and so are placed in no county: each name is registered in more than one)
    cases = [
        case(f"C{i}", region_code=f"33{i:04d}", parties=[company("华龙化工有限公司", credit_code=None, address=None)])
        for i in range(1, 41)
    ]
    cases.append(case("C98", parties=[company("瑞翔化工有限公司", credit_code=None, address=None)]))
    cases.append(
        case("C99", region_code="330803", parties=[company("瑞翔化工有限公司", credit_code=None, address=None)])
    )
    recs = [
        record("R1", party_name="华龙化工有限公司", region_code=None),
        record("R2", party_name="瑞翔化工有限公司", region_code=None),
    ]
    model: LinkageModel = engine.model
    model.settings.thresholds.review = 1e-12
    res = engine.predict(engine.prepare(cases, recs))
    tf = {}
    for i in range(len(res.links)):
        e = res.explanation(i)
        name = next(c for c in e["comparisons"] if c["comparison"] == "company_name")
        tf[e["record_id"]] = name["tf_adjustment"]
    assert tf["R1"] < 0 < tf["R2"]


def test_explanation_sums_to_the_score(engine, case, record, synth_small) -> None:
    res = engine.predict(engine.prepare(synth_small.cases[:300], synth_small.records[:3000]))
    assert len(res.links) > 50
    for i in range(0, len(res.links), 7):
        e = res.explanation(i)
        total = e["prior"] + sum(c["total"] for c in e["comparisons"])
        assert math.isclose(total, e["score"], abs_tol=1e-3)
        assert e["decision"] in ("link", "review") and e["party"]["name"]
        assert {c["comparison"] for c in e["comparisons"]} >= {"credit_code", "company_name", "address", "domain"}
        assert not any(c["comparison"] == "id_number" and "record_value" in c for c in e["comparisons"])


def test_review_decisions_are_honoured_and_train(engine, case, record, synth_small) -> None:
    batch = engine.prepare(synth_small.cases[:300], synth_small.records[:3000])
    first = engine.predict(batch).links
    rid, cid = first.iloc[0]["record_id"], first.iloc[0]["case_id"]
    again = engine.predict(batch, decided={(rid, cid): False}).links
    assert not ((again["record_id"] == rid) & (again["case_id"] == cid)).any()
    before = engine.model.settings.comparison("company_name").levels[2].m
    labels = [(r, c, True) for r, c in zip(first["record_id"][:200], first["case_id"][:200], strict=True)]
    report = engine.train_from_labels(batch, labels)
    assert report.labelled_matches == 200
    assert engine.model.settings.comparison("company_name").levels[2].m != before


def name_level(res, record_id: str, comparison: str = "company_name") -> str:
    i = next(i for i in range(len(res.links)) if res.links["record_id"].iloc[i] == record_id)
    return next(c["level"] for c in res.explanation(i)["comparisons"] if c["comparison"] == comparison)


def test_same_name_and_nothing_disagrees_is_the_same_person(engine, case, record) -> None:
    # the rule's same-name clause decides on its own, wherever the record says too little to disagree
    cases = [case(parties=[person("王建国", ident("23"))])]
    recs = [
        record("R1", party_name="王建国", region_code=None),  # no ID, region or address
        record("R2", party_name="王建国", region_code="330800"),  # only the prefecture: the same one
        record("R3", party_name="王建国", region_code="330100"),  # another prefecture disagrees
        record("R4", party_name="王建国", region_code=None, address="浙江省杭州市西湖区转塘街道"),  # so does this
    ]
    assert decisions(engine, cases, recs) == {("R1", "C1"): "link", ("R2", "C1"): "link"}


def test_record_without_region_placed_where_its_name_is_registered(engine, case, record) -> None:
    # 瑞翔化工 is registered in 柯城区 only: a record of it with no region or address is placed there;
    # 华龙化工 is registered in two counties: its record stays unplaced
    cases = [
        case("C1", parties=[company("瑞翔化工有限公司", credit_code=None)]),
        case("C2", parties=[company("华龙化工有限公司", credit_code=None)]),
        case("C3", region_code="330803", parties=[company("华龙化工有限公司", credit_code=None, address=None)]),
    ]
    recs = [
        record("R1", party_name="瑞翔化工", region_code=None),
        record("R2", party_name="华龙化工", region_code=None),
    ]
    engine.model.settings.thresholds.review = 1e-12
    res = engine.predict(engine.prepare(cases, recs))
    assert name_level(res, "R1") == "exact_same_county"
    assert name_level(res, "R2") == "exact_county_unknown"


def test_a_frequent_party_is_not_a_common_name(engine, case, record) -> None:
    # one company, party to 40 cases and subject of 80 records, against a name 40 companies share:
    # term frequency counts the companies bearing a name, not the rows
    cases = [case(f"C{i}", parties=[company("瑞翔化工有限公司", credit_code=None, address=None)]) for i in range(40)]
    cases += [
        case(f"D{i}", region_code=f"33{i:04d}", parties=[company("华龙化工有限公司", credit_code=None, address=None)])
        for i in range(1, 41)
    ]
    recs = [record(f"R{i}", party_name="瑞翔化工有限公司") for i in range(80)]
    recs += [
        record("X1", party_name="瑞翔化工有限公司", region_code=None, address="浙江省某地"),
        record("X2", party_name="华龙化工有限公司", region_code=None),
    ]
    from hub.matching.model import TermFrequencies

    batch = engine.prepare(cases, recs)
    tf = TermFrequencies.from_prepared(batch.prep, {"core"})
    core = {v: i for i, v in enumerate(batch.prep.vocab["core"])}
    company_kind = 0
    assert tf.freq["core"][company_kind, core["瑞翔化工"]] * 40 == pytest.approx(
        tf.freq["core"][company_kind, core["华龙化工"]]
    )


def test_a_public_body_is_its_place_and_type(engine, case, record) -> None:
    # recommendation numbers of two procuratorates can coincide (龙游 and 龙湾 both abbreviate to 龙)
    cases = [
        case(
            "C1",
            region_code="330825",
            agency="衢州市龙游县住房和城乡建设局",
            domain="state_property",
            doc_numbers=["龙检行公建〔2020〕1号"],
            parties=[company()],
        )
    ]
    recs = [
        record(
            "R1",
            source="agency",
            party_name="温州市龙湾区住房和城乡建设局",
            region_code="330303",
            doc_number="龙检行公建[2020]1号",
        ),  # another county's bureau: not the addressee
        record(
            "R2", source="agency", party_name="龙游县住建局", region_code="330825", doc_number="龙检行公建[2020]1号"
        ),  # the addressee
        record(
            "R3", source="agency", party_name="丁梅梅", region_code="330825", doc_number="龙检行公建[2020]1号"
        ),  # a person citing the number is not the addressee
    ]
    got = decisions(engine, cases, recs)
    assert got.get(("R2", "C1")) == "link"
    assert ("R1", "C1") not in got and got.get(("R3", "C1")) != "link"
