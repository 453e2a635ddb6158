"""Settings read the way deployments keep them: Airflow Connections through Airflow itself, and the
rate limit in Redis when several hosts pull one agency."""

from __future__ import annotations

import json
import time

import pytest

from connectors.sdk.config import load_config
from connectors.sdk.rate_limit import RateLimit, RedisRateLimiter


def test_an_airflow_connection_is_read_through_airflows_own_hook(monkeypatch):
    """Inside Airflow, ``BaseHook.get_connection`` decides (database, secrets backends, environment) —
    here it finds the Connection in the environment Airflow reads, which the hub's own parser is not given."""
    conn = {
        "conn_type": "http",
        "host": "zrzy.example.gov.cn",
        "schema": "https",
        "port": 8443,
        "login": "app-0001",
        "password": "s3cret-from-the-secrets-backend",
        "extra": {"page_size": "200", "rate_limit": "5"},
    }
    monkeypatch.setenv("AIRFLOW_CONN_PILHUB_HOOKTEST", json.dumps(conn))
    config = load_config("hooktest", env={"PILHUB_AIRFLOW_CONNECTIONS": "1"})
    assert config.source == "airflow-connection"
    assert config.base_url == "https://zrzy.example.gov.cn:8443"
    assert config.key_id == "app-0001" and config.secret == "s3cret-from-the-secrets-backend"
    assert config.page_size == 200 and config.rate_limit == 5.0
    assert "s3cret" not in repr(config)
    # a connector Airflow does not know falls back to the hub's environment variables
    monkeypatch.delenv("AIRFLOW_CONN_PILHUB_HOOKTEST")
    plain = load_config(
        "hooktest", env={"PILHUB_CONN_HOOKTEST_URL": "http://127.0.0.1:1", "PILHUB_CONN_HOOKTEST_PAGE_SIZE": "50"}
    )
    assert plain.source == "environment" and plain.page_size == 50


def _redis_url() -> str:
    import redis

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    return url


def test_two_limiters_on_redis_share_one_rate():
    url = _redis_url()
    name = f"test-{time.time_ns()}"
    a = RedisRateLimiter(name, RateLimit(per_second=20, burst=1), url)
    b = RedisRateLimiter(name, RateLimit(per_second=20, burst=1), url)
    started = time.monotonic()
    for _ in range(10):
        a.acquire()
        b.acquire()
    assert time.monotonic() - started >= 19 * 0.05 * 0.9  # 20 requests at 20/s between them
