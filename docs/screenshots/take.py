"""Take the screenshots under docs/screenshots/ from a store (default: the one `make demo` leaves in var/).

    make demo
    .venv/bin/python docs/screenshots/take.py            # as of the demo date, 2026-11-23

What users see: the dashboard of a city supervisor and of congress staff, a case page, the Swagger UI, and
every page of the annual report PDF (2018). Chromium is Debian's (`apt-get install chromium`), driven by
Playwright; the PDF pages are rendered by poppler's pdftoppm.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=None, help="store URL (default: PILHUB_DATABASE_URL or var/pilhub.db)")
    parser.add_argument("--as-of", default="2026-11-23")
    parser.add_argument("--year", type=int, default=2018, help="the report year")
    args = parser.parse_args()

    import uvicorn
    from playwright.sync_api import sync_playwright

    from hub.api.app import create_app
    from hub.api.tokens import TokenStore, create_token
    from hub.config import database_url
    from hub.reports.figures import ReportQuery, compute_figures
    from hub.reports.output import render
    from hub.store.db import open_store

    store = args.store or database_url()
    as_of = dt.date.fromisoformat(args.as_of)
    with tempfile.TemporaryDirectory(prefix="pilhub-shots-") as tmp:
        tokens = Path(tmp) / "tokens.yaml"
        city, _ = create_token(tokens, role="supervisor", region="3308", name="衢州市人民检察院")
        congress, _ = create_token(tokens, role="congress", region="3308", name="衢州市人大常委会")
        app = create_app(store, tokens=TokenStore(tokens), today=lambda: as_of)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, access_log=False))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        shots = [
            ("dashboard-supervisor.png", f"/dashboard?as_of={as_of}", city),
            ("dashboard-congress.png", f"/dashboard?as_of={as_of}", congress),
            ("case-page.png", f"/cases/KC-2026-052?as_of={as_of}", city),
        ]
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=FLAGS)
            for name, path, token in shots:
                page = browser.new_context(bypass_csp=True, viewport={"width": 1400, "height": 900}).new_page()
                page.goto(f"{base}{path}#token={token}")
                page.wait_for_function("document.body.dataset.ready === '1'", timeout=60_000)
                page.wait_for_timeout(1500)  # charts and the web font
                page.screenshot(path=str(HERE / name), full_page=True)
                print(HERE / name)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{base}/docs")
            page.wait_for_selector(".swagger-ui .info .title")
            page.evaluate("document.fonts.ready.then(() => true)")
            page.wait_for_timeout(1500)
            page.screenshot(path=str(HERE / "api-docs.png"))
            print(HERE / "api-docs.png")
            browser.close()
        server.should_exit = True
        thread.join(timeout=10)

        with open_store(store)() as session:
            figures = compute_figures(session, ReportQuery.build(year=args.year, today=as_of))
        pdf = Path(tmp) / "report.pdf"
        pdf.write_bytes(render(figures, "pdf"))
        for old in HERE.glob("report-page-*.png"):
            old.unlink()
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(HERE / "report-page")], check=True)
        for page_png in sorted(HERE.glob("report-page-*.png")):
            print(page_png)


if __name__ == "__main__":
    main()
