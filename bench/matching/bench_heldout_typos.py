"""Quality on held-out data with a pinned model: trained on generator A, measured on generators B and C.

    python bench/matching/bench_heldout_typos.py --cases 10000 --records 100000

The model is trained once on generator A (``hub/matching/synth.py``, the generator the engine was tuned
on) and then, frozen, links the held-out sets: generator B (``heldout_synth.py``) and generator C
(``heldout_typos.py`` — B plus one-character credit-code and ID-number typos and pinyin homophone
company names, written for measuring and never tuned on). For comparison the same is done with the
settings as they were before the typo levels (``tests/matching/data/settings_before_templates.json``).
Prints precision, recall and review share per (settings, data set); ``--json`` writes them too.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import pandas as pd  # noqa: E402
from heldout_synth import generate_heldout  # noqa: E402
from heldout_typos import add_noise  # noqa: E402

from hub.matching.engine import LinkageEngine  # noqa: E402
from hub.matching.evaluate import evaluate  # noqa: E402
from hub.matching.model import LinkageModel  # noqa: E402
from hub.matching.settings import ModelSettings, default_settings  # noqa: E402
from hub.matching.synth import generate  # noqa: E402

BEFORE = ROOT / "tests" / "matching" / "data" / "settings_before_templates.json"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--train-seed", type=int, default=6)
    ap.add_argument("--heldout-seed", type=int, default=29)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    key = b"bench-key"

    t = time.perf_counter()
    a = generate(n_cases=args.cases, n_records=args.records, seed=args.train_seed)
    b_cases, b_records, b_labels = generate_heldout(args.cases, args.records, seed=args.heldout_seed)
    c_records = [dict(r) for r in b_records]
    touched: dict[str, set[str]] = {}
    noise = add_noise(c_records, args.heldout_seed, touched=touched)
    print(f"data in {time.perf_counter() - t:.1f} s; generator C noise: {noise}", file=sys.stderr)
    held = {"B": (b_cases, b_records, b_labels), "C": (b_cases, c_records, b_labels)}

    rows = []
    for label, settings in (
        ("before (no typo levels)", ModelSettings.from_dict(json.loads(BEFORE.read_text(encoding="utf-8")))),
        ("now (settings.yaml)", default_settings()),
    ):
        trainer = LinkageEngine(LinkageModel(settings), id_key=key)
        t = time.perf_counter()
        trainer.train(trainer.prepare(a.cases, a.records))
        frozen = trainer.model.to_dict()
        train_s = time.perf_counter() - t
        for name, (cases, records, labels) in held.items():
            engine = LinkageEngine(LinkageModel.from_dict(frozen), id_key=key)
            t = time.perf_counter()
            links = engine.predict(engine.prepare(cases, records)).links
            truth = pd.DataFrame(labels, columns=["record_id", "case_id"])
            ev = evaluate(links, truth)
            is_link = links["decision"] == "link"
            linked = set(zip(links["record_id"][is_link], links["case_id"][is_link], strict=True))
            subsets = {}
            if name == "C":  # recall over the true pairs whose record carries each kind of noise
                for kind, ids in touched.items():
                    pairs = truth[truth["record_id"].isin(ids)]
                    hit = sum((r, c) in linked for r, c in zip(pairs["record_id"], pairs["case_id"], strict=True))
                    subsets[kind] = {"true_pairs": len(pairs), "recall": round(hit / max(len(pairs), 1), 4)}
            rows.append(
                {
                    "settings": label,
                    "data": name,
                    "precision": round(ev.precision, 4),
                    "recall": round(ev.recall, 4),
                    "review_rate": round(ev.review_rate, 4),
                    "true_pairs": ev.true_pairs,
                    "train_s": round(train_s, 1),
                    "link_s": round(time.perf_counter() - t, 1),
                    "recall_by_noise": subsets,
                }
            )
            print(json.dumps(rows[-1], ensure_ascii=False))
    if args.json:
        args.json.write_text(
            json.dumps(
                {"args": vars(args) | {"json": str(args.json)}, "noise": noise, "rows": rows},
                ensure_ascii=False,
                indent=1,
            ),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
