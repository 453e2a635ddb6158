"""The dashboard in headless Chromium: it loads, shows the overdue list of the sample data, and a filter changes it.

Chromium is driven over the DevTools protocol (a WebSocket; no selenium needed) against the app served by
uvicorn in a background thread. Chromium comes from Debian's ``chromium`` package: installed if missing
(root with apt-get) or the test is skipped with the reason.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.endpoints import free_port

AS_OF = "2026-11-23"


@pytest.fixture(scope="module")
def server(api_env: tuple[str, Any]) -> Iterator[str]:
    """The app under uvicorn on a free local port (the same app ``pilhub serve`` runs)."""
    import uvicorn

    from hub.api.app import create_app
    from hub.api.tokens import TokenStore

    url, toks = api_env
    port = free_port()
    config = uvicorn.Config(
        create_app(url, tokens=TokenStore(toks.path)), host="127.0.0.1", port=port, log_config=None, access_log=False
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


class Page:
    """A minimal DevTools-protocol client for one page."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.n = 0

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.n += 1
        self.ws.send(json.dumps({"id": self.n, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=30))
            if msg.get("id") == self.n:
                assert "error" not in msg, msg
                return msg.get("result", {})

    def js(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    def wait(self, expression: str, timeout: float = 30.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.js(expression)
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {expression}")


@pytest.fixture(scope="module")
def browser(
    tmp_path_factory: pytest.TempPathFactory, need_tool: Any, chromium_flags: tuple[str, ...]
) -> Iterator[Page]:
    from websockets.sync.client import connect

    chromium = need_tool("chromium", "chromium")
    profile = tmp_path_factory.mktemp("chromium-profile")
    proc = subprocess.Popen(
        [chromium, *chromium_flags, f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = Path(profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            assert proc.poll() is None, "chromium exited"
            assert time.monotonic() < deadline, "chromium did not open its DevTools port"
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as res:
            targets = json.loads(res.read())
        ws_url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
        with connect(ws_url, max_size=None, open_timeout=10) as ws:
            yield Page(ws)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


ROWS = "Array.from(document.querySelectorAll('#list-{view} tbody tr[data-case-id]')).map(tr => [tr.dataset.caseId, tr.dataset.district, tr.dataset.state])"


def _api_list(client: Any, token: str, view: str, **params: str) -> list[str]:
    res = client.get(
        f"/api/v1/clocks/{view}", params={"as_of": AS_OF, **params}, headers={"Authorization": f"Bearer {token}"}
    )
    return [i["case_id"] for i in res.json()["items"]]


def test_dashboard_shows_the_overdue_list_and_a_filter_changes_it(
    server: str, browser: Page, client: Any, tokens: Any
) -> None:
    browser.call("Page.enable")
    browser.call("Page.navigate", url=f"{server}/dashboard?as_of={AS_OF}#token={tokens.admin}")
    browser.wait("document.body && document.body.dataset.ready === '1' && document.body.dataset.version !== '0'")
    assert browser.js("location.hash") == ""  # the token left the address bar
    rows = browser.js(ROWS.format(view="overdue"))
    expected = _api_list(client, tokens.admin, "overdue")
    assert rows and [r[0] for r in rows] == expected
    assert {r[2] for r in rows} <= {"breached", "escalated"}
    assert browser.js("document.getElementById('count-overdue').textContent") == str(len(expected))
    assert browser.js("document.querySelectorAll('#list-escalated tbody tr[data-case-id]').length") > 0
    # the annual figures and their charts
    browser.wait("document.querySelectorAll('#kpis .kpi').length > 0")
    browser.wait(
        "['domain','agencies','trend'].every(n => { const i = document.getElementById('chart-' + n); return i.complete && i.naturalWidth > 0; })"
    )

    # Filter by district: the overdue list changes to that district's clocks.
    version = browser.js("document.body.dataset.version")
    browser.js(
        "(() => { const s = document.getElementById('f-district'); s.value = '衢江区';"
        " s.dispatchEvent(new Event('change')); })()"
    )
    browser.wait(f"document.body.dataset.version !== '{version}'")
    filtered = browser.js(ROWS.format(view="overdue"))
    assert filtered != rows
    assert filtered and all(r[1] == "衢江区" for r in filtered)
    assert [r[0] for r in filtered] == _api_list(client, tokens.admin, "overdue", district="衢江区")
    assert "district=%E8%A1%A2%E6%B1%9F%E5%8C%BA" in browser.js("location.search")

    # A state filter narrows the lists too.
    version = browser.js("document.body.dataset.version")
    browser.js(
        "(() => { const s = document.getElementById('f-state'); s.value = 'breached';"
        " s.dispatchEvent(new Event('change')); })()"
    )
    browser.wait(f"document.body.dataset.version !== '{version}'")
    narrowed = browser.js(ROWS.format(view="overdue"))
    assert all(r[2] == "breached" for r in narrowed)
    assert browser.js("document.querySelectorAll('#list-escalated tbody tr[data-case-id]').length") == 0


def test_dashboard_asks_for_a_token_and_rejects_a_wrong_one(server: str, browser: Page) -> None:
    browser.js("sessionStorage.clear()")
    browser.call("Page.navigate", url=f"{server}/dashboard")
    browser.wait("document.body && document.body.dataset.ready === '1'")
    assert browser.js("document.getElementById('login').hidden") is False
    browser.js(
        "(() => { document.getElementById('token-input').value = 'pil_wrong';"
        " document.getElementById('login-form').requestSubmit(); })()"
    )
    browser.wait("document.getElementById('login-error').textContent.length > 0")
    assert browser.js("document.getElementById('main').hidden") is True
