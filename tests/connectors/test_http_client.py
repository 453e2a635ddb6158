"""The HTTP client: backoff with jitter, Retry-After, rate limit, size cap, authentication."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests

from connectors.registry import get_connector
from connectors.sandbox import credentials
from connectors.sdk.config import load_config
from connectors.sdk.errors import HttpStatusError, ResponseTooLarge
from connectors.sdk.http import HttpClient, RetryPolicy, parse_retry_after
from connectors.sdk.probe import check
from connectors.sdk.rate_limit import RateLimit, TokenBucket
from connectors.sdk.runner import build_client
from hub.ingest.pull import pull
from tests.connectors.conftest import make_factory


def test_backoff_is_exponential_capped_and_jittered():
    policy = RetryPolicy(backoff_base=0.5, backoff_max=4.0, jitter=0.5)
    rng = random.Random(1)
    for attempt, nominal in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (8, 4.0)]:
        delays = {policy.backoff(attempt, rng) for _ in range(20)}
        assert all(nominal * 0.5 <= d <= nominal * 1.5 for d in delays)
        assert len(delays) > 1  # jitter


def test_retry_after_seconds_and_http_date():
    now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("0.25") == 0.25
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), lambda: now) == pytest.approx(
        30
    )
    assert parse_retry_after("soon") is None


def test_429_waits_what_retry_after_says_and_5xx_backs_off(sandbox, sqlite_url, fast_policy):
    sandbox.set_faults(["rate_limit_storm", "server_errors"], systems=["water"])
    for server in sandbox.servers.values():
        server.system.plan.retry_after = "0.03"
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)

    summary = pull("water", factory=make_factory(sqlite_url), policy=fast_policy, sleep=sleep)
    assert summary.ok
    assert summary.total("throttled") > 0 and summary.total("retries") > 0
    assert slept.count(0.03) == summary.total("throttled")  # every 429 waited exactly Retry-After
    assert all(s <= fast_policy.backoff_max * (1 + fast_policy.jitter) for s in slept if s != 0.03)


def test_token_bucket_spaces_requests():
    now = [0.0]
    waits: list[float] = []

    def sleep(s: float) -> None:
        waits.append(s)
        now[0] += s

    bucket = TokenBucket(RateLimit(per_second=10, burst=2), clock=lambda: now[0], sleep=sleep)
    for _ in range(6):
        bucket.acquire()
    assert now[0] == pytest.approx(0.4)  # 2 from the burst, then one every 0.1 s


def test_market_rate_limit_keeps_under_the_agency_quota(sandbox, sqlite_url, fast_policy):
    pull("market", factory=make_factory(sqlite_url), policy=fast_policy)
    assert sandbox.system("market").quota_refusals == 0


def test_oversize_response_is_cut_off(sandbox):
    client = HttpClient(sandbox.urls["forestry"], policy=RetryPolicy(max_bytes=200, max_attempts=1))
    with pytest.raises(ResponseTooLarge) as err:
        client.get("/exports/cases/")
    assert "limit" in str(err.value) and "上限" in str(err.value)


def test_hmac_signed_requests_are_verified_by_the_agency(sandbox, monkeypatch):
    market = get_connector("market")
    assert check(market).ok
    bad = load_config("market").with_overrides(secret="not-the-secret")
    result = check(market, bad)
    assert not result.ok and result.status == 401 and result.authenticated is False
    # A captured request replayed as is (same nonce) is refused.
    client = build_client(market, load_config("market"))
    prepared = client.session.prepare_request(
        requests.Request("GET", client.url_for("/open/api/v2/ping"), auth=client.auth)
    )
    assert client.session.send(prepared).status_code == 200
    assert client.session.send(prepared).status_code == 401


def test_oauth2_token_is_fetched_once_and_reused(sandbox, sqlite_url, fast_policy):
    court = sandbox.system("court")
    pull("court", factory=make_factory(sqlite_url), policy=fast_policy)
    assert court.tokens_issued == 1  # three streams, several pages, one token
    wrong = load_config("court").with_overrides(client_secret="wrong")
    result = check(get_connector("court"), wrong)
    assert not result.ok and result.status == 401 and "OAuth2" in result.en


def test_missing_credentials_are_named(monkeypatch):
    for var in ("PILHUB_CONN_WATER_URL", "PILHUB_CONN_WATER_API_KEY", "AIRFLOW_CONN_PILHUB_WATER"):
        monkeypatch.delenv(var, raising=False)
    result = check(get_connector("water"))
    assert not result.configured and result.missing == ["base_url", "api_key"]
    assert "PILHUB_CONN_WATER_API_KEY" in result.en and "缺少配置" in result.zh


def test_mutual_tls_settings_reach_the_session():
    config = load_config(
        "water",
        env={
            "PILHUB_CONN_WATER_URL": "https://sl.example",
            "PILHUB_CONN_WATER_API_KEY": "k" * 8,
            "PILHUB_CONN_WATER_CERT": "/etc/pilhub/sl.crt",
            "PILHUB_CONN_WATER_KEY": "/etc/pilhub/sl.key",
            "PILHUB_CONN_WATER_CA": "/etc/pilhub/ca.pem",
        },
    )
    client = build_client(get_connector("water"), config)
    assert client.session.cert == ("/etc/pilhub/sl.crt", "/etc/pilhub/sl.key")
    assert client.session.verify == "/etc/pilhub/ca.pem"


def test_refused_credentials_fail_the_stream_with_a_clear_message(sandbox, sqlite_url, fast_policy, monkeypatch):
    monkeypatch.setenv("PILHUB_CONN_WATER_API_KEY", credentials.WATER_API_KEY + "x")
    summary = pull("water", factory=make_factory(sqlite_url), policy=fast_policy, raise_on_error=False)
    assert not summary.ok
    assert all("401" in (s.error or "") and "凭据被拒绝" in (s.error or "") for s in summary.streams)
    with pytest.raises(HttpStatusError):
        build_client(get_connector("water"), load_config("water")).get("/api/water/replies")
