"""RATE_LIMIT: every route but /health, /ready and /metrics, unmatched paths and wrong methods
included; 429 in the envelope with Retry-After and RateLimit-*; bounded memory; one limit
shared through Redis; X-Forwarded-For believed only from FORWARDED_ALLOW_IPS.

The Redis tests use the server at REDIS_TEST_URL (default redis://127.0.0.1:6379/0), each
with its own key prefix; where none answers they skip, except in CI (CI=true), where they fail.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from litestar.testing import TestClient

from app import ratelimit
from app.main import create_app
from app.ratelimit import MemoryCounter, RedisCounter
from app.server import uvicorn_proxy_kwargs
from app.settings import Settings
from tests.envelope_assertions import assert_envelope
from tests.tcp_proxy import TcpProxy

REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/0")


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture
def limited(seeded_db) -> Iterator[TestClient]:
    with TestClient(app=create_app(seeded_db.settings(rate_limit=("minute", 3)))) as client:
        yield client


def test_the_limit_and_its_headers(limited):
    for remaining in (2, 1, 0):
        response = limited.get("/codes/1205")
        assert response.status_code == 200
        assert response.headers["ratelimit-limit"] == "3"
        assert response.headers["ratelimit-remaining"] == str(remaining)
        assert 0 < int(response.headers["ratelimit-reset"]) <= 60
        assert response.headers["ratelimit-policy"] == "3;w=60"
    refused = limited.get("/codes/1205")
    error = assert_envelope(refused, 429, 10429, "HTTP_TooManyRequests")
    assert "at most 3 per 60 s" in error["message"]
    assert 0 < int(refused.headers["retry-after"]) <= 60
    assert refused.headers["ratelimit-remaining"] == "0"
    assert refused.headers["x-request-id"] == error["request_id"]


def test_unmatched_paths_and_wrong_methods_are_limited_too(limited):
    assert_envelope(limited.get("/no/such/path"), 404)
    assert_envelope(limited.delete("/codes/1205"), 405)
    assert_envelope(limited.request("BREW", "/codes/1205"), 405)
    for response in (
        limited.get("/no/such/path"),
        limited.delete("/codes/1205"),
        limited.request("BREW", "/codes/1205"),
        limited.get("/codes/1205"),
    ):
        assert_envelope(response, 429, 10429, "HTTP_TooManyRequests")


def test_operations_routes_are_not_limited(limited):
    for _ in range(3):
        limited.get("/codes/1205")
    assert limited.get("/codes/1205").status_code == 429
    for _ in range(5):
        for path in ("/health", "/ready", "/metrics"):
            response = limited.get(path)
            assert response.status_code == 200, path
            assert "ratelimit-limit" not in response.headers


def test_the_in_memory_counters_keep_only_the_current_window():
    counter = MemoryCounter(60)

    async def run() -> None:
        for i in range(1000):
            assert await counter.hit(f"10.0.{i // 256}.{i % 256}", 60.0) == (1, 60)
        assert len(counter) == 1000
        assert await counter.hit("10.0.0.0", 119.5) == (2, 1)
        # a new window: the old clients are gone, whatever their number
        assert await counter.hit("10.0.0.0", 120.0) == (1, 60)
        assert len(counter) == 1

    asyncio.run(run())


def test_the_in_memory_counters_are_bounded_within_a_window(monkeypatch):
    monkeypatch.setattr(ratelimit, "MAX_TRACKED", 100)
    counter = MemoryCounter(3600)

    async def run() -> None:
        for i in range(500):
            await counter.hit(f"client-{i}", 10.0)
        assert len(counter) == 100

    asyncio.run(run())


# --- Redis -------------------------------------------------------------------------------------


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    from redis import Redis

    client = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except Exception as exc:
        message = f"Redis at {REDIS_URL} is not reachable: {type(exc).__name__}: {exc}"
        if _in_ci():
            pytest.fail(message)
        pytest.skip(message)
    prefix = f"errcat-test-{secrets.token_hex(6)}:"
    yield prefix
    keys = list(client.scan_iter(f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


def test_two_instances_sharing_redis_share_one_limit(seeded_db, redis_prefix):
    settings = seeded_db.settings(
        rate_limit=("minute", 4), redis_url=REDIS_URL, redis_prefix=redis_prefix
    )
    with (
        TestClient(app=create_app(settings)) as one,
        TestClient(app=create_app(settings)) as two,
    ):
        # the window may turn over between requests: retry the whole exchange once if so
        for _ in range(2):
            start = int(time.time() // 60)
            answers = [c.get("/codes/1205") for c in (one, two, one, two, one, two)]
            if int(time.time() // 60) == start:
                break
            time.sleep(1)
        assert [a.status_code for a in answers] == [200, 200, 200, 200, 429, 429]
        assert [a.headers["ratelimit-remaining"] for a in answers[:4]] == ["3", "2", "1", "0"]
        assert_envelope(answers[5], 429, 10429, "HTTP_TooManyRequests")
        # a third instance with another prefix has its own counters
        other = seeded_db.settings(
            rate_limit=("minute", 4), redis_url=REDIS_URL, redis_prefix=redis_prefix + "other:"
        )
        with TestClient(app=create_app(other)) as three:
            assert three.get("/codes/1205").status_code == 200


def test_redis_keys_expire_with_their_window(seeded_db, redis_prefix):
    from redis import Redis

    settings = seeded_db.settings(
        rate_limit=("minute", 10), redis_url=REDIS_URL, redis_prefix=redis_prefix
    )
    with TestClient(app=create_app(settings)) as client:
        assert client.get("/codes/1205").status_code == 200
    redis = Redis.from_url(REDIS_URL)
    keys = list(redis.scan_iter(f"{redis_prefix}*"))
    assert keys, "no counter was written"
    assert all(0 < redis.ttl(k) <= 61 for k in keys)
    redis.close()


def test_an_unreachable_redis_does_not_fail_requests(seeded_db):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = seeded_db.settings(rate_limit=("minute", 1), redis_url=f"redis://127.0.0.1:{port}/0")
    with TestClient(app=create_app(settings)) as client:
        for _ in range(3):
            response = client.get("/codes/1205")
            assert response.status_code == 200 and "ratelimit-limit" not in response.headers


def _unlimited_so_far(client: TestClient) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith("errcat_rate_limit_unlimited_total "):
            return float(line.split()[1])
    raise AssertionError("no errcat_rate_limit_unlimited_total in /metrics")


def test_a_stalled_redis_holds_up_one_request_per_backoff(
    seeded_db, redis_prefix, monkeypatch, capsys
):
    from app import breaker  # imported here: without it (before the breaker) only this fails

    now = [1000.0]  # the breaker's clock, moved by hand: no assertion rests on real time
    monkeypatch.setattr(breaker, "monotonic", lambda: now[0])
    waited_on_redis = 0
    real_hit = RedisCounter.hit

    async def counted_hit(self: RedisCounter, client: str, at: float) -> tuple[int, int]:
        nonlocal waited_on_redis
        waited_on_redis += 1
        return await real_hit(self, client, at)

    monkeypatch.setattr(RedisCounter, "hit", counted_hit)
    redis = httpx.URL(REDIS_URL)
    proxy = TcpProxy(redis.host or "127.0.0.1", redis.port or 6379)
    settings = seeded_db.settings(
        rate_limit=("minute", 1000),
        redis_url=f"redis://127.0.0.1:{proxy.port}{redis.path}",
        redis_prefix=redis_prefix,
    )
    try:
        with TestClient(app=create_app(settings)) as client:
            unlimited_before = _unlimited_so_far(client)
            assert "ratelimit-limit" in client.get("/codes/1205").headers
            assert waited_on_redis == 1
            proxy.pause()  # connections accepted, nothing answered: each try waits its timeout
            for backoff in (breaker.FIRST_BACKOFF, 2 * breaker.FIRST_BACKOFF):
                tried_before = waited_on_redis
                for _ in range(5):
                    response = client.get("/codes/1205")
                    assert response.status_code == 200, response.text
                    assert "ratelimit-limit" not in response.headers  # served unlimited
                assert waited_on_redis == tried_before + 1  # one waited, four skipped Redis
                now[0] += backoff
            proxy.resume()
            for _ in range(3):
                assert "ratelimit-limit" in client.get("/codes/1205").headers
            assert waited_on_redis == 1 + 2 + 3
            assert _unlimited_so_far(client) - unlimited_before == 10
    finally:
        proxy.close()
    changes = [
        line
        for line in capsys.readouterr().err.splitlines()
        if '"message":"rate limit store' in line
    ]
    assert len(changes) == 2, changes  # one line per change of state, not one per request
    assert '"level":"warning"' in changes[0] and "unavailable (TimeoutError)" in changes[0]
    assert '"level":"info"' in changes[1] and "reachable again" in changes[1]


# --- X-Forwarded-For: only from the proxies the operator names ----------------------------------


def test_uvicorn_trusts_no_proxy_unless_told():
    assert uvicorn_proxy_kwargs(Settings()) == {"proxy_headers": False}
    named = Settings.from_env({"FORWARDED_ALLOW_IPS": "10.0.0.1, 10.0.0.2"})
    assert uvicorn_proxy_kwargs(named) == {
        "proxy_headers": True,
        "forwarded_allow_ips": ["10.0.0.1", "10.0.0.2"],
    }


def _serve(settings: Settings) -> tuple[uvicorn.Server, threading.Thread, int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=port,
        log_config=None,
        lifespan="on",
        **uvicorn_proxy_kwargs(settings),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    return server, thread, port


@pytest.mark.parametrize("trusted", [False, True])
def test_a_local_client_cannot_rotate_identities_unless_its_proxy_is_named(seeded_db, trusted):
    settings = seeded_db.settings(
        rate_limit=("minute", 2), forwarded_allow_ips=("127.0.0.1",) if trusted else ()
    )
    server, thread, port = _serve(settings)
    try:
        statuses = [
            httpx.get(
                f"http://127.0.0.1:{port}/codes/1205",
                headers={"X-Forwarded-For": f"203.0.113.{i}"},
            ).status_code
            for i in range(4)
        ]
    finally:
        server.should_exit = True
        thread.join(15)
    # untrusted: the header is ignored and the one peer is limited; trusted: four clients
    assert statuses == ([200, 200, 200, 200] if trusted else [200, 200, 429, 429])
