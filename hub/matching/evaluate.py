"""Precision, recall and review rate of proposed links against labelled true pairs.

* precision — share of ``link`` decisions that are true pairs;
* recall — share of true pairs decided ``link`` (a pair sent to review is not counted as recalled:
  the targets ask the machine to link on its own);
* review rate — share of true pairs decided ``review`` (work left to procurators);
* review precision — share of ``review`` items that are true (how useful the queue is).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd


@dataclass
class Evaluation:
    true_pairs: int
    links: int
    reviews: int
    true_links: int
    true_reviews: int
    precision: float
    recall: float
    review_rate: float
    review_precision: float

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)

    def summary(self) -> str:
        return (
            f"precision {self.precision:.4f}  recall {self.recall:.4f}  review rate {self.review_rate:.4f}  "
            f"(true pairs {self.true_pairs}, links {self.links}, reviews {self.reviews})"
        )


def evaluate(links: pd.DataFrame, labels: pd.DataFrame) -> Evaluation:
    """Compare ``links`` (record_id, case_id, decision) with ``labels`` (record_id, case_id) of true pairs."""
    truth = labels[["record_id", "case_id"]].astype(str).drop_duplicates()
    truth = truth.assign(_true=True)
    got = links[["record_id", "case_id", "decision"]].astype({"record_id": str, "case_id": str})
    got = got.drop_duplicates(["record_id", "case_id"])
    merged = got.merge(truth, on=["record_id", "case_id"], how="left")
    is_true = merged["_true"].eq(True).to_numpy()
    is_link = (merged["decision"] == "link").to_numpy()
    is_review = (merged["decision"] == "review").to_numpy()
    n_true = len(truth)
    n_link, n_review = int(is_link.sum()), int(is_review.sum())
    tl, tr = int((is_link & is_true).sum()), int((is_review & is_true).sum())
    return Evaluation(
        true_pairs=n_true,
        links=n_link,
        reviews=n_review,
        true_links=tl,
        true_reviews=tr,
        precision=tl / n_link if n_link else 1.0,
        recall=tl / n_true if n_true else 1.0,
        review_rate=tr / n_true if n_true else 0.0,
        review_precision=tr / n_review if n_review else 1.0,
    )
