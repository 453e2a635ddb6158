"""Windowed pulls (Airflow's data interval), OAuth2 token renewal, next links."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from connectors.sdk.pagination import NextCursor, PageRequest
from hub.ingest.pull import PullHooks, pull
from hub.store.models import AgencyRecord, ConnectorState, IngestBatch
from tests.connectors.conftest import make_factory


def test_a_windowed_pull_takes_exactly_its_window_and_never_moves_the_cursor_back(sandbox, sqlite_url, fast_policy):
    factory = make_factory(sqlite_url)
    full = pull("market", stream="licences", factory=factory, policy=fast_policy).streams[0]
    with factory() as session:
        cursor = session.get(ConnectorState, ("330800-scjg", "licences")).cursor
    window = pull(
        "market", stream="licences", since="2020-01-01", until="2021-01-01", factory=factory, policy=fast_policy
    ).streams[0]
    expected = [r for r in sandbox.system("market").records["licences"] if r["modifyTime"] >= "2020-01-01"]
    assert 0 < window.fetched <= len(expected) < full.fetched
    assert window.duplicates == window.fetched  # already stored by the full pull
    with factory() as session:
        batch = session.get(IngestBatch, window.batch_id)
        assert batch.window_start.date().isoformat() == "2020-01-01"
        assert session.get(ConnectorState, ("330800-scjg", "licences")).cursor == cursor


def test_an_expired_oauth2_token_is_renewed_once(sandbox, sqlite_url, fast_policy):
    court = sandbox.system("court")

    def expire_tokens(stream: str) -> None:
        if stream == "judgments":
            court.tokens.clear()  # the court's token store was reset: the cached token is now refused

    summary = pull(
        "court", factory=make_factory(sqlite_url), policy=fast_policy, hooks=PullHooks(on_stream_start=expire_tokens)
    )
    assert summary.ok and court.tokens_issued == 2
    with make_factory(sqlite_url)() as session:
        kinds = set(session.execute(select(AgencyRecord.kind)).scalars())
    assert kinds == {"court.filing", "court.judgment", "court.execution"}


class _Page:
    def __init__(self, request, document, headers=None):
        self.request, self.document, self.records, self.headers = request, document, [{"n": 1}], headers or {}


def test_next_link_in_the_body_and_in_the_link_header():
    seen = []

    def fetch(request: PageRequest):
        seen.append((request.path, dict(request.params)))
        if len(seen) == 1:
            return _Page(request, {"links": {"next": "http://a.example/items?page=2"}})
        if len(seen) == 2:
            return _Page(
                request,
                {},
                {"Link": '<http://a.example/items?page=3>; rel="next", <http://a.example/items?page=1>; rel="first"'},
            )
        return _Page(request, {})

    pages = list(
        NextCursor(next_path=None, next_link_path="links.next", use_link_header=True).pages(
            fetch, PageRequest("/items", {"since": "x"})
        )
    )
    assert len(pages) == 3
    assert [p for p, _ in seen] == ["/items", "http://a.example/items?page=2", "http://a.example/items?page=3"]


def test_airflow_style_window_bounds_accept_datetimes(sandbox, sqlite_url, fast_policy):
    summary = pull(
        "water",
        since=datetime(2018, 1, 1),
        until=datetime(2019, 1, 1),
        factory=make_factory(sqlite_url),
        policy=fast_policy,
    )
    assert summary.ok
