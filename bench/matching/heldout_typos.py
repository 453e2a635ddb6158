"""Held-out generator C: generator B's data with one-character identifier typos and homophone company names.

Written for measuring, never for tuning: the engine's typo levels and the pinned model were not fitted
to it. It takes generator B's cases, records and labels (``heldout_synth``) and then, at fixed rates and
with its own seed, over **all** records (linked or not, so the noise carries no hint of the label):

* replaces one character of a record's credit code by another character of the code's alphabet
  (``typo_rate``), or one digit of a record's ID number by another digit (the check character then
  fails: GB 32100 and GB 11643 MOD 11-2 detect every single substitution);
* replaces one character of a company record's name by another character read the same in pinyin
  (toneless, by pypinyin, among the characters the data set's own names use — not the engine's
  near-homophone table), at ``homophone_rate``.

Labels are unchanged: a clerk's slip does not change whom a record concerns.

    python bench/matching/heldout_typos.py --cases 10000 --records 100000 --out DIR
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import defaultdict
from pathlib import Path

from pypinyin import Style, lazy_pinyin

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

from heldout_synth import generate_heldout  # noqa: E402

from hub.matching.identifiers import CREDIT_CHARSET  # noqa: E402

COMPANY_MARKERS = ("公司", "厂", "合作社", "场", "店", "中心")


def _substitute(value: str, alphabet: str, rng: random.Random) -> str:
    i = rng.randrange(len(value))
    choices = [c for c in alphabet if c != value[i]]
    return value[:i] + rng.choice(choices) + value[i + 1 :]


def _homophones(names: list[str]) -> dict[str, list[str]]:
    """Character → other characters of the same toneless pinyin, among the characters the names use."""
    chars = sorted({ch for n in names for ch in n if "\u4e00" <= ch <= "\u9fff"})
    by_sound: dict[str, list[str]] = defaultdict(list)
    for ch, py in zip(chars, lazy_pinyin(chars, style=Style.NORMAL, errors="ignore"), strict=False):
        by_sound[py].append(ch)
    out = {}
    for group in by_sound.values():
        for ch in group:
            others = [o for o in group if o != ch]
            if others:
                out[ch] = others
    return out


def add_noise(
    records: list[dict],
    seed: int,
    typo_rate: float = 0.10,
    homophone_rate: float = 0.08,
    touched: dict[str, set[str]] | None = None,
) -> dict[str, int]:
    """Typos and homophones in place; returns how many of each were made (``touched``: which record ids)."""
    touched = touched if touched is not None else {}
    rng = random.Random(seed * 7919 + 3)
    names = [r["party_name"] for r in records if r.get("party_name")]
    sound_alike = _homophones(names)
    counts = {"credit_typos": 0, "id_typos": 0, "homophone_names": 0}
    for rec in records:
        code = rec.get("credit_code")
        if code and len(code) == 18 and rng.random() < typo_rate:
            rec["credit_code"] = _substitute(code, CREDIT_CHARSET, rng)
            counts["credit_typos"] += 1
            touched.setdefault("credit_typos", set()).add(rec["record_id"])
        idno = rec.get("id_number")
        if idno and len(idno) == 18 and rng.random() < typo_rate:
            i = rng.randrange(17)  # a digit of the body; the check character is computed from them
            rec["id_number"] = idno[:i] + rng.choice([d for d in "0123456789" if d != idno[i]]) + idno[i + 1 :]
            counts["id_typos"] += 1
            touched.setdefault("id_typos", set()).add(rec["record_id"])
        name = rec.get("party_name") or ""
        if any(m in name for m in COMPANY_MARKERS) and rng.random() < homophone_rate:
            spots = [i for i, ch in enumerate(name) if ch in sound_alike]
            if spots:
                i = rng.choice(spots)
                rec["party_name"] = name[:i] + rng.choice(sound_alike[name[i]]) + name[i + 1 :]
                counts["homophone_names"] += 1
                touched.setdefault("homophone_names", set()).add(rec["record_id"])
    return counts


def generate_heldout_typos(
    n_cases: int, n_records: int, seed: int = 6
) -> tuple[list[dict], list[dict], list[dict], dict[str, int]]:
    """(cases, records, labels, noise counts) of generator C."""
    cases, records, labels = generate_heldout(n_cases, n_records, seed=seed)
    counts = add_noise(records, seed)
    return cases, records, labels, counts


def main(argv: list[str] | None = None) -> int:
    from hub.matching.batch_io import write_jsonl

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=29)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    cases, records, labels, counts = generate_heldout_typos(args.cases, args.records, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, rows in (("cases", cases), ("records", records), ("labels", labels)):
        write_jsonl(rows, args.out / f"{name}.jsonl")
    print(counts)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
