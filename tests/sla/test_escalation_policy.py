"""The escalation policy file: the shipped default, validation of bad files, jurisdiction and domain overrides."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hub.notify.render import template_names
from sla.policy import SHIPPED_POLICY, PolicyError, load_policy


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _shipped() -> dict:
    return yaml.safe_load(SHIPPED_POLICY.read_text(encoding="utf-8"))


def test_the_default_ladder_is_the_one_the_issue_asks_for() -> None:
    levels = load_policy().resolve("330802", "ecology").levels("reply")
    assert [(lv.level, lv.offset_days, lv.offset_for(True), lv.marks) for lv in levels] == [
        (1, -7, -3, "due_soon"),
        (2, 1, 1, "breached"),
        (3, 15, 15, "escalated"),
        (4, 30, 30, "escalated"),
    ]
    assert [[r.role for r in lv.recipients] for lv in levels] == [
        ["agency_contact"],
        ["case_procurator", "department_head"],
        ["superior_authority", "government_rule_of_law_office"],
        ["people_congress", "supervisory_proposal", "lawsuit_proposal"],
    ]
    assert levels[0].expires_at_breach and not levels[1].expires_at_breach


def test_every_template_the_policy_names_exists() -> None:
    assert load_policy().templates() <= template_names()


def test_jurisdiction_and_domain_overrides_resolve_by_longest_prefix() -> None:
    policy = load_policy()
    assert policy.resolve("330802", "food_drug").key == "33/food_drug"
    assert policy.resolve("330802", "food_drug").levels("reply")[2].offset_days == 5
    assert policy.resolve("330802", "ecology").key == "33"
    assert policy.resolve("110101", "food_drug").key == "*"
    assert policy.resolve("330802", "ecology").levels("follow_up")[0].name == "follow_up_reminder"


def test_an_operator_file_replaces_the_shipped_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _shipped()
    data["due_soon_days"] = 10
    monkeypatch.setenv("PILHUB_SLA_POLICY", str(_write(tmp_path, data)))
    assert load_policy().due_soon_days == 10


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["ladders"]["agency"]["levels"].reverse(), "unique and increasing"),
        (lambda d: d["kinds"].update(reply="missing"), "unknown ladder"),
        (lambda d: d["kinds"].pop("reply"), "kinds lacks"),
        (lambda d: d["ladders"]["announcement"]["levels"][0]["recipients"].append("agency_contact"), "announcement"),
        (lambda d: d["ladders"]["agency"]["levels"][0]["recipients"].append("mayor"), "role"),
        (lambda d: d.update(follow_up_period="half a year"), "invalid period"),
        (lambda d: d["ladders"]["agency"]["levels"][0].update(short_offset_days=2), "same side"),
        (lambda d: d.update(operator=[]), "operator"),
        (lambda d: d.update(surprise=1), "surprise"),
    ],
    ids=[
        "decreasing",
        "unknown-ladder",
        "missing-kind",
        "agency-in-announcement",
        "unknown-role",
        "bad-period",
        "short-offset-side",
        "no-operator",
        "unknown-key",
    ],
)
def test_invalid_policies_are_refused(tmp_path: Path, change, message: str) -> None:  # type: ignore[no-untyped-def]
    data = _shipped()
    change(data)
    with pytest.raises(PolicyError, match="升级策略文件格式错误") as exc:
        load_policy(_write(tmp_path, data))
    assert message in str(exc.value)


def test_missing_and_broken_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="not found"):
        load_policy(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("ladders: [", encoding="utf-8")
    with pytest.raises(PolicyError, match="invalid YAML"):
        load_policy(bad)
