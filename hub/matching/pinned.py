"""Pinned, versioned linkage models: training is an explicit, recorded step; linking only reads its result.

A model file written by ``pilhub link train`` holds the trained parameters together with what they
depend on, so that a production run can refuse a model that no longer fits:

* ``settings_digest`` — SHA-256 of the settings *structure* (comparisons, level conditions, blocking
  rules, EM sessions; ``settings_file.settings_digest``). A model trained under other settings is a
  mismatch: its m/u belong to other levels.
* ``training_data`` — SHA-256 and line counts of the case and record files it was trained on, so the
  training can be repeated and audited;
* ``version`` (a label given at training), ``model_id`` (SHA-256 of the parameters), ``trained_at``,
  ``trained_by``, the command's options and the training report.

Production linking (``pilhub link``, ``pilhub match``, the ``pilhub_matching`` DAG) loads the pinned model and
never trains: an incremental batch of a few records would make a poor training set, and a model that
drifts with every batch cannot be audited. A missing or mismatching model is a :class:`PinnedModelError`
(Chinese and English) — there is no silent first-run training. The repository ships one pinned model
(``hub/matching/linkage-model.json``), trained on generator A, so a fresh deployment links from
its first run; a deployment trains its own with ``pilhub link train --out $PILHUB_VAR_DIR/matching/model.json``.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
from pathlib import Path
from typing import Any

from hub.matching.model import LinkageModel
from hub.matching.settings import ModelSettings
from hub.matching.settings_file import settings_digest

FORMAT = "pilhub-linkage-model/2"
SHIPPED_MODEL = Path(__file__).with_name("linkage-model.json")
RETRAIN_HINT_ZH = "请用 pilhub link train 重新训练并固定模型"
RETRAIN_HINT_EN = "train and pin a model with `pilhub link train`"


class PinnedModelError(ValueError):
    """The pinned model is missing, unreadable or does not fit the settings (Chinese and English)."""

    def __init__(self, path: Path, zh: str, en: str) -> None:
        self.zh = f"关联模型 {path}：{zh}（{RETRAIN_HINT_ZH}）"
        self.en = f"linkage model {path}: {en} ({RETRAIN_HINT_EN})"
        super().__init__(f"{self.zh} / {self.en}")
        self.path = path


def file_digest(path: Path) -> dict[str, Any]:
    """SHA-256 and line count of a training input file."""
    h = hashlib.sha256()
    lines = 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            lines += chunk.count(b"\n")
    return {"file": path.name, "sha256": h.hexdigest(), "lines": lines}


def _model_id(settings: dict[str, Any]) -> str:
    blob = json.dumps(settings, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def pinned_document(
    model: LinkageModel,
    *,
    version: str,
    training_data: dict[str, Any],
    report: dict[str, Any],
    options: dict[str, Any],
    trained_by: str | None = None,
) -> dict[str, Any]:
    """The pinned model file's content."""
    settings = model.settings.to_dict()
    return {
        "format": FORMAT,
        "version": version,
        "model_id": _model_id(settings),
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "trained_by": trained_by or getpass.getuser(),
        "settings_digest": settings_digest(model.settings),
        "training_data": training_data,
        "training_report": report,
        "options": options,
        "settings": settings,
    }


def write_pinned(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)


def load_pinned(path: Path | None = None, *, expected: ModelSettings | None = None) -> tuple[LinkageModel, dict]:
    """The pinned model at ``path`` (default: the shipped one), checked against ``expected`` settings (default:
    the shipped ``settings.yaml``). Returns the model and the file's header (everything but the settings)."""
    from hub.matching.settings import default_settings

    path = Path(path) if path is not None else SHIPPED_MODEL
    if not path.is_file():
        raise PinnedModelError(path, "文件不存在", "the file does not exist")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PinnedModelError(path, f"无法读取：{exc}", f"cannot be read: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        found = doc.get("format") if isinstance(doc, dict) else None
        raise PinnedModelError(
            path,
            f"不是固定版本的模型（格式 {found!r}，应为 {FORMAT!r}）",
            f"not a pinned model (format {found!r}, expected {FORMAT!r})",
        )
    try:
        model = LinkageModel.from_dict(doc)
    except (KeyError, TypeError, ValueError) as exc:
        raise PinnedModelError(path, f"内容不完整：{exc}", f"incomplete content: {exc}") from None
    if _model_id(doc["settings"]) != doc.get("model_id"):
        raise PinnedModelError(
            path, "参数与 model_id 不符（文件被改动过）", "parameters do not match model_id (the file was altered)"
        )
    own = settings_digest(model.settings)
    want = settings_digest(expected or default_settings())
    if doc.get("settings_digest") != own or own != want:
        raise PinnedModelError(
            path,
            f"模型训练时的设置（{str(doc.get('settings_digest'))[:12]}）与当前设置（{want[:12]}）不符",
            f"trained under other settings ({str(doc.get('settings_digest'))[:12]}) than the current ones ({want[:12]})",
        )
    header = {k: v for k, v in doc.items() if k != "settings"}
    return model, header
