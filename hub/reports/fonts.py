"""The CJK font the reports draw and print with, shipped as a Python dependency.

Why ship one: a report for a people's congress is Chinese, and a server (or a CI machine, or a
fresh container) often has no CJK font installed at all — then charts would fall back to English
labels and a printed PDF would show empty boxes. The wheel ``pylopdf-fonts-zh-cn`` carries Noto Sans SC
(SIL Open Font License 1.1), so every install has one. A system font (Debian ``fonts-noto-cjk`` …)
still wins where present; the packaged one is the floor, not a preference.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

__all__ = ["PACKAGED_FAMILY", "font_face_css", "packaged_cjk_font"]

#: The family name inside the packaged OpenType file (what matplotlib and CSS call it).
PACKAGED_FAMILY = "Noto Sans SC"


@lru_cache(maxsize=1)
def packaged_cjk_font() -> Path | None:
    """The path of the packaged Noto Sans SC, or None when the font wheel is not installed."""
    try:
        from pylopdf_fonts_zh_cn import sans_path
    except ImportError:
        return None
    path = Path(sans_path())
    return path if path.is_file() else None


def font_face_css() -> str:
    """An ``@font-face`` rule that makes the packaged font available to a printer (WeasyPrint, Chromium).

    Only for printing on the server: the HTML sent to browsers names system families and relies on
    the reader's fonts, so it never points at a path on the hub's disk.
    """
    path = packaged_cjk_font()
    if path is None:
        return ""
    return f'@font-face {{ font-family: "{PACKAGED_FAMILY}"; src: url("{path.as_uri()}"); }}'
