"""The dashboard and the case page in headless Chromium, as a supervisor and as congress staff use them.

Playwright (python) drives Debian's Chromium (``apt-get install chromium``; installed by the ``need_tool``
fixture when missing, never a ``playwright install`` download) against the app served by uvicorn in a
background thread — the same app ``pilhub serve`` runs, on the sample registry.

What is checked comes from outside the page's own code where it can: the order and membership of the
morning list against the state lists of ``/api/v1/clocks`` (the escalation sweep's rules), the deadline's
rule against the text of 法释〔2018〕6号 Art. 21, the personal data against the sample registry's persons.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.endpoints import free_port

AS_OF = "2026-11-23"
SINCE = "2026-11-16"


@pytest.fixture(scope="module")
def server(api_env: tuple[str, Any]) -> Iterator[str]:
    """The app under uvicorn on a free local port, with "today" fixed at the sample's snapshot date."""
    import uvicorn

    from hub.api.app import create_app
    from hub.api.tokens import TokenStore

    url, toks = api_env
    port = free_port()
    app = create_app(url, tokens=TokenStore(toks.path), today=lambda: dt.date.fromisoformat(AS_OF))
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(need_tool: Any, chromium_flags: tuple[str, ...]) -> Iterator[Any]:
    """A Playwright Chromium on Debian's binary (no downloaded browser)."""
    from playwright.sync_api import sync_playwright

    chromium = need_tool("chromium", "chromium")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium, args=list(chromium_flags))
        yield b
        b.close()


class Visit:
    """One browser context (one user's tab) that records every request the pages make."""

    def __init__(self, browser: Any, server: str) -> None:
        # bypass_csp: Playwright's wait_for_function evaluates strings, which the pages' CSP forbids.
        self.context = browser.new_context(bypass_csp=True, viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.server = server
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def open(self, path: str, token: str | None = None) -> Any:
        self.page.goto(self.server + path + (f"#token={token}" if token else ""))
        self.page.wait_for_function("document.body && document.body.dataset.ready === '1'", timeout=30_000)
        return self.page

    def foreign_requests(self) -> list[str]:
        own = urlsplit(self.server).netloc
        return [u for u in self.requests if urlsplit(u).scheme not in ("data", "blob") and urlsplit(u).netloc != own]

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser: Any, server: str) -> Iterator[Visit]:
    v = Visit(browser, server)
    yield v
    v.close()
    assert not v.errors, v.errors


MORNING_ROWS = """Array.from(document.querySelectorAll('#morning-table tbody tr[data-case-id]')).map(tr => ({
  case_id: tr.dataset.caseId, section: tr.dataset.section, state: tr.dataset.state, clock: tr.dataset.clockKey,
  district: tr.dataset.district, days: tr.cells[6].textContent}))"""


def _api(client: Any, token: str, path: str, **params: str) -> Any:
    res = client.get(path, params=params, headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 200, res.text
    return res.json()


def _all(client: Any, token: str, view: str) -> list[dict[str, Any]]:
    return _api(client, token, f"/api/v1/clocks/{view}", as_of=AS_OF, limit="1000")["items"]


def test_supervisor_morning_lists_each_clock_once_in_the_order_of_action(
    visit: Visit, client: Any, tokens: Any
) -> None:
    page = visit.open(f"/dashboard?as_of={AS_OF}&since={SINCE}", tokens.admin)
    page.wait_for_function("document.body.dataset.version !== '0'")
    assert page.evaluate("location.hash") == ""  # the token left the address bar
    rows = page.evaluate(MORNING_ROWS)
    assert rows, "the morning list is empty"

    # Each clock once.
    clocks = [r["clock"] for r in rows]
    assert len(clocks) == len(set(clocks)), Counter(clocks).most_common(3)
    # Sections in the order of action, never interleaved.
    order = ["new", "due", "calendar_missing", "long_standing", "suspended"]
    seen = [s for i, s in enumerate(r["section"] for r in rows) if i == 0 or rows[i - 1]["section"] != s]
    assert seen == sorted(seen, key=order.index) and len(seen) == len(set(seen))

    # Against the state lists the escalation rules give (a different API, one list per state):
    overdue = {i["clock_key"]: i for i in _all(client, tokens.admin, "overdue")}
    due_soon = {i["clock_key"]: i for i in _all(client, tokens.admin, "due_soon")}
    breached_rows = {r["clock"] for r in rows if r["section"] in ("new", "long_standing")}
    assert breached_rows == set(overdue), "every overdue clock is in new or long-standing, and nothing else"
    # "new": the breach began, or the clock's current escalation level became due, on or after the last visit
    # (the level's day from the escalation policy's ladder: its offset after the later deadline).
    from sla.policy import load_policy

    policy = load_policy()
    for r in rows:
        item = overdue.get(r["clock"])
        if item is None:
            continue
        breach_after = dt.date.fromisoformat(item["breach_after"])
        ladder = policy.resolve(item["region_code"], item["domain"]).levels(item["kind"])
        offset = next(lv.offset_for(False) for lv in ladder if lv.level == item["level"])
        changed = max(breach_after + dt.timedelta(days=1), breach_after + dt.timedelta(days=offset))
        assert (changed >= dt.date.fromisoformat(SINCE)) == (r["section"] == "new"), (r, item)
    for r in rows:
        if r["section"] == "due":
            assert due_soon[r["clock"]]["days_left"] <= 7
    # The calendar-missing clock of the sample appears (it is in no state list until its provisional date).
    assert any(r["section"] == "calendar_missing" for r in rows)
    assert {"new", "due", "long_standing"} <= {r["section"] for r in rows}
    assert page.locator("#morning-table tbody tr[data-case-id]").first.get_attribute("data-section") == "new"

    # Counts per district add up to the rows shown, and match them district by district.
    by_district = page.evaluate(
        "Array.from(document.querySelectorAll('#by-district tbody tr[data-name]'))"
        ".map(tr => [tr.dataset.name, Number(tr.querySelector('td.total').textContent)])"
    )
    assert dict(by_district) == dict(Counter(r["district"] for r in rows))
    assert page.locator("#count-total").inner_text() == str(len(rows))

    # Sorting by days: a click orders the rows of each section by the days column.
    page.locator("#morning-table thead th[data-key='days']").click()
    assert page.locator("#morning-table thead th[data-key='days']").get_attribute("data-sorted") == "asc"
    # Filtering by text narrows the rows to the case typed.
    first = rows[0]["case_id"]
    page.fill("#f-text", first)
    narrowed = page.evaluate(MORNING_ROWS)
    assert narrowed and {r["case_id"] for r in narrowed} == {first}


def test_the_header_names_the_unit_not_its_code(visit: Visit, tokens: Any) -> None:
    page = visit.open(f"/dashboard?as_of={AS_OF}", tokens.kecheng)
    who = page.locator("#who").inner_text()
    assert "柯城区" in who and "330802" not in who and "supervisor" not in who


def test_a_case_id_leads_to_the_case_timeline_in_one_click(
    visit: Visit, tokens: Any, personal_values: list[str]
) -> None:
    page = visit.open(f"/dashboard?as_of={AS_OF}&since={SINCE}", tokens.admin)
    link = page.locator("#morning-table tbody tr[data-case-id] a.case-link").first
    case_id = link.inner_text()
    link.click()
    page.wait_for_url(f"**/cases/{case_id}**")
    page.wait_for_function("document.body.dataset.ready === '1'", timeout=30_000)
    assert page.locator("#case-title").inner_text().startswith(case_id)
    kinds = page.evaluate("Array.from(document.querySelectorAll('#timeline li')).map(li => li.dataset.kind)")
    assert {"case_opened", "recommendation_issued", "deadline"} <= set(kinds)
    dates = page.evaluate("Array.from(document.querySelectorAll('#timeline li')).map(li => li.dataset.date)")
    assert dates == sorted(dates)
    # Each deadline says which rule sets it: 法释〔2018〕6号 Art. 21(2) — two months, or 15 days when urgent.
    deadline = page.locator("#timeline li[data-kind='deadline']").first.inner_text()
    assert "法释〔2018〕6号）第二十一条" in deadline
    clock = page.locator("#clocks .clock").first.inner_text()
    assert "起算日" in clock and "届满日" in clock  # the computation, step by step
    assert page.locator("#clocks .sla .sla-fill").count() >= 1  # each started clock drawn from start to deadline
    text = page.locator("body").inner_text()
    assert not [v for v in personal_values if v in text]


def _reveals(url: str) -> int:
    from sqlalchemy import func, select

    from hub.store.db import open_store
    from hub.store.models import AuditEntry

    with open_store(url)() as session:
        return session.execute(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "personal_data.access", AuditEntry.object_id == "KC-2017-001")
        ).scalar_one()


def test_a_case_with_a_natural_person_shows_the_name_masked_until_revealed_and_audited(
    visit: Visit, tokens: Any, personal_values: list[str], api_env: tuple[str, Any]
) -> None:
    page = visit.open("/cases/KC-2017-001", tokens.admin)
    row = page.locator("#parties tbody tr[data-kind='person']").first.inner_text()
    assert "*" in row
    text = page.locator("body").inner_text()
    assert not [v for v in personal_values if v in text]
    before = _reveals(api_env[0])
    page.click("#reveal")
    page.wait_for_function("document.getElementById('masked-note').textContent.indexOf('已显示') >= 0")
    row = page.locator("#parties tbody tr[data-kind='person']").first.inner_text()
    assert "*" not in row and [v for v in personal_values if v in row]
    assert _reveals(api_env[0]) == before + 1  # who looked, at which case — recorded


def test_congress_sees_no_case_level_data_and_no_empty_panel(
    visit: Visit, tokens: Any, personal_values: list[str]
) -> None:
    page = visit.open(f"/dashboard?as_of={AS_OF}", tokens.congress)
    page.wait_for_function("document.body.dataset.version !== '0'")
    page.wait_for_function(
        "['domain','agencies','trend'].every(n => { const i = document.getElementById('chart-' + n);"
        " return i.complete && i.naturalWidth > 0; })"
    )
    # The case-level panels are not displayed at all (the `hidden` attribute wins over display:grid).
    for sel in ("#morning", "#counts"):
        assert page.locator(sel).is_hidden()
        assert page.evaluate(f"getComputedStyle(document.querySelector('{sel}')).display") == "none"
    # Every panel on screen has content: rows, figures or charts — none is an empty frame.
    empty = page.evaluate(
        """Array.from(document.querySelectorAll('.panel')).filter(p => p.offsetParent !== null).filter(p =>
             !p.querySelector('tbody tr:not(.empty), .kpi, img[src]')).map(p => p.id || p.className)"""
    )
    assert empty == []
    assert page.locator("#kpis .kpi").count() >= 5
    text = page.locator("body").inner_text()
    assert not [v for v in personal_values if v in text]
    assert "KC-20" not in text  # no case numbers either
    # Asking for a case page directly gets the aggregates-only message, not the case.
    page = visit.open("/cases/KC-2017-001", tokens.congress)
    assert page.locator("#case").is_hidden()
    assert "汇总" in page.locator("#message").inner_text()


def test_the_dashboard_asks_for_a_token_and_rejects_a_wrong_one(visit: Visit) -> None:
    page = visit.open("/dashboard")
    assert page.locator("#login").is_visible()
    page.fill("#token-input", "pil_wrong")
    page.click("#login-form button[type=submit]")
    page.wait_for_function("document.getElementById('login-error').textContent.length > 0")
    assert page.locator("#main").is_hidden()


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_api_docs_render_offline(visit: Visit, path: str) -> None:
    """Swagger UI and ReDoc come from the hub itself: the page renders and contacts no other host."""
    visit.page.goto(visit.server + path)
    marker = ".swagger-ui .info .title" if path == "/docs" else ".api-info h1, [role=navigation]"
    visit.page.wait_for_selector(marker, timeout=30_000)
    assert "pilhub" in visit.page.locator("body").inner_text()
    assert visit.foreign_requests() == []


def test_no_page_loads_anything_from_another_host(visit: Visit, tokens: Any) -> None:
    page = visit.open(f"/dashboard?as_of={AS_OF}", tokens.admin)
    page.wait_for_function("document.body.dataset.version !== '0'")
    visit.open("/cases/KC-2017-001", tokens.admin)
    assert len(visit.requests) > 5
    assert visit.foreign_requests() == []


@pytest.fixture
def clue_store(api_env: tuple[str, Any]) -> Iterator[None]:
    """Clues of two supervision models in the shared sample store, removed again after the test."""
    from tests.clue_rows import remove_clues, seed_clues

    ids = seed_clues(api_env[0], dt.date(2026, 11, 20))
    yield
    remove_clues(api_env[0], ids)


CLUE_ROWS = """Object.fromEntries(Array.from(document.querySelectorAll('#clue-models tbody tr[data-model]')).map(tr =>
  [tr.dataset.model, Array.from(tr.cells).map(c => c.hidden ? null : c.textContent)]))"""


def test_the_clue_panel_lists_each_model_with_its_hits_within_the_callers_region(
    visit: Visit, tokens: Any, clue_store: None, personal_values: list[str]
) -> None:
    from hub.clues.spec import load_models
    from tests.clue_rows import ROWS, expected

    titles = {name: spec.title_zh for name, spec in load_models().items()}
    want = expected()
    page = visit.open(f"/dashboard?as_of={AS_OF}&since={SINCE}", tokens.admin)
    page.wait_for_function("document.body.dataset.version !== '0'")
    assert page.locator("#clues").is_visible()
    rows = page.evaluate(CLUE_ROWS)
    assert set(rows) == set(want)
    for model, w in want.items():
        title, hits, since, accepted, rejected, opened, rate = rows[model]
        assert title == titles[model]  # the model's Chinese title, from its model file
        assert [int(hits), int(accepted), int(rejected), int(opened)] == [
            w["hits"],
            w["accepted"],
            w["rejected"],
            w["cases_opened"],
        ]
        assert int(since) == w["hits"]  # all first seen after the last visit
        assert rate == f"{100 * w['cases_opened'] / w['hits']:.1f}%"
    assert rows["repeat-offender"][6] == "20.0%"  # 1 case opened from 5 clues
    districts = page.evaluate(
        "Array.from(document.querySelectorAll('#clue-districts tbody tr[data-model]'))"
        ".map(tr => [tr.dataset.model, tr.cells[1].textContent, Number(tr.cells[2].textContent)])"
    )
    new_rows = Counter((m, r) for m, s, r, _ in ROWS if s == "new")
    assert sum(n for *_, n in districts) == sum(new_rows.values())
    assert ["repeat-offender", "柯城区", 2] in districts

    # A supervisor of 柯城区 (330802) sees only the clues of the district; congress staff the same counts,
    # and neither sees a subject (the credit codes) nor a person's name.
    page = visit.open(f"/dashboard?as_of={AS_OF}", tokens.kecheng)
    page.wait_for_function("document.body.dataset.version !== '0'")
    rows = page.evaluate(CLUE_ROWS)
    assert set(rows) == {"repeat-offender"} and rows["repeat-offender"][1] == "2"
    assert rows["repeat-offender"][2] is None  # no last visit given: the column is not shown
    page = visit.open(f"/dashboard?as_of={AS_OF}", tokens.congress)
    page.wait_for_function("document.body.dataset.version !== '0'")
    assert page.locator("#clues").is_visible()
    text = page.locator("body").inner_text()
    assert "91330800MA2" not in text
    assert not [v for v in personal_values if v in text]


def test_without_clues_there_is_no_clue_panel(visit: Visit, tokens: Any) -> None:
    page = visit.open(f"/dashboard?as_of={AS_OF}", tokens.admin)
    page.wait_for_function("document.body.dataset.version !== '0'")
    assert page.locator("#clues").is_hidden()
