"""PDF form: the HTML report printed to PDF, with the CJK font embedded.

Why print the HTML rather than lay out a PDF separately: the two must never differ. WeasyPrint is
the printer (pure Python over Pango, embeds subsetted fonts, so Chinese text is real, searchable
text). Where WeasyPrint is not installed, headless Chromium (``--print-to-pdf``) prints it instead;
both are given the packaged Noto Sans SC (:mod:`hub.reports.fonts`) so no machine prints boxes;
where neither exists, :class:`PdfUnavailable` says what to install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from hub.reports.fonts import font_face_css
from hub.reports.render_html import render_html

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class PdfUnavailable(RuntimeError):
    """No PDF printer on this machine (message in Chinese and English)."""


def chromium_binary() -> str | None:
    """The headless-capable Chromium on PATH (``PILHUB_CHROMIUM`` overrides)."""
    override = os.environ.get("PILHUB_CHROMIUM")
    if override:
        return override if Path(override).exists() else None
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _weasyprint(html: bytes) -> bytes | None:
    try:
        from weasyprint import HTML
    except (ImportError, OSError):  # OSError: Pango missing
        return None
    return HTML(string=html.decode("utf-8")).write_pdf()  # type: ignore[no-any-return]


def _chromium(html: bytes, timeout: float = 60.0) -> bytes | None:
    binary = chromium_binary()
    if binary is None:
        return None
    with tempfile.TemporaryDirectory(prefix="pilhub-pdf-") as tmp:
        src = Path(tmp) / "report.html"
        out = Path(tmp) / "report.pdf"
        src.write_bytes(html)
        subprocess.run(
            [
                binary,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={tmp}/profile",
                "--no-pdf-header-footer",
                f"--print-to-pdf={out}",
                src.as_uri(),
            ],
            check=False,
            capture_output=True,
            timeout=timeout,
        )
        return out.read_bytes() if out.exists() and out.stat().st_size else None


def _with_packaged_font(html: bytes) -> bytes:
    """The HTML with an ``@font-face`` for the packaged CJK font, so the printer embeds real Chinese glyphs
    even on a server without any CJK font installed (see :mod:`hub.reports.fonts`)."""
    css = font_face_css()
    if not css:
        return html
    return html.replace(b"<head>", f"<head><style>{css}</style>".encode(), 1)


def render_pdf(figures: dict[str, Any], *, charts: dict[str, bytes] | None = None) -> bytes:
    """The report as PDF bytes (charts as 150-dpi PNG); raises :class:`PdfUnavailable` without a printer."""
    html = _with_packaged_font(render_html(figures, charts=charts, chart_format="png", embed_font=False))
    pdf = _weasyprint(html) or _chromium(html)
    if pdf is None:
        raise PdfUnavailable(
            "无法生成 PDF：请安装 weasyprint（pip）或 chromium（apt） / cannot print PDF: install weasyprint "
            "(pip) or chromium (apt)"
        )
    return pdf
