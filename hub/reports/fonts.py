"""The CJK font the reports draw and print with, shipped as a Python dependency.

Why ship one: a report for a people's congress is Chinese, and a server (or a CI machine, or a
fresh container) often has no CJK font installed at all — then charts would fall back to English
labels and a printed PDF would show empty boxes. The wheel ``pylopdf-fonts-zh-cn`` carries Noto Sans SC
(SIL Open Font License 1.1), so every install has one. A system font (Debian ``fonts-noto-cjk`` …)
still wins where present; the packaged one is the floor, not a preference.
"""

from __future__ import annotations

import base64
import io
from functools import lru_cache
from pathlib import Path

__all__ = ["EMBEDDED_FAMILY", "PACKAGED_FAMILY", "embedded_font_face", "font_face_css", "packaged_cjk_font"]

#: The family name inside the packaged OpenType file (what matplotlib and CSS call it).
PACKAGED_FAMILY = "Noto Sans SC"
#: The CSS family of the subset embedded in an HTML report (last before ``sans-serif`` in its font stack).
EMBEDDED_FAMILY = "pilhub CJK"


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

    Only for printing on the server: it points at a path on the hub's disk. The HTML sent to readers
    carries :func:`embedded_font_face` instead.
    """
    path = packaged_cjk_font()
    if path is None:
        return ""
    return f'@font-face {{ font-family: "{PACKAGED_FAMILY}"; src: url("{path.as_uri()}"); }}'


def embedded_font_face(text: str) -> str:
    """An ``@font-face`` rule with the packaged font, subset to the characters of ``text``, as a data URI.

    Why embed: an HTML report is mailed and opened on machines that may have no Chinese font at all (a
    server, a thin client); a reference to the hub would not load offline. Only the glyphs the report uses
    are kept (fontTools' subsetter), so the file grows by about 100 KB rather than 8 MB. Empty when the
    font wheel is missing.
    """
    chars = "".join(sorted({ch for ch in text if ord(ch) > 0x7F or ch.isprintable()}))
    data = _subset_woff(chars)
    if not data:
        return ""
    b64 = base64.b64encode(data).decode("ascii")
    return f'@font-face {{ font-family: "{EMBEDDED_FAMILY}"; src: url(data:font/woff;base64,{b64}) format("woff"); }}'


@lru_cache(maxsize=8)
def _subset_woff(chars: str) -> bytes:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    path = packaged_cjk_font()
    if path is None or not chars:
        return b""
    options = subset.Options()
    options.flavor = "woff"  # zlib-compressed; WOFF2 would need brotli
    options.layout_features = ["*"]
    options.notdef_outline = True
    options.name_IDs = ["*"]
    font = TTFont(str(path), lazy=True)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(ch) for ch in chars])
    subsetter.subset(font)
    buf = io.BytesIO()
    font.flavor = "woff"
    font.save(buf)
    return buf.getvalue()
