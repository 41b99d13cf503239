"""A 202 from POST /observations means committed, whatever the database does: PostgreSQL behind
a proxy the test controls (stalled, cut, restored, or lost right after COMMIT was sent), and
either database kept busy by another writer. Afterwards the database holds exactly what was
acknowledged, plus what was counted as in doubt when COMMIT's answer was lost (then the server
did commit it). Processes killed or stopped: tests/test_observations_shutdown.py."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from litestar.testing import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.db.store import make_engine
from app.main import create_app
from tests.envelope_assertions import assert_envelope
from tests.observation_counts import stored_observations
from tests.tcp_proxy import TcpProxy

TOKEN = "durability-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
# What asyncpg sends to commit: a simple-query message ('Q', its length, the text, a NUL).
COMMIT_MESSAGE = b"Q\x00\x00\x00\x0cCOMMIT;\x00"
BATCH = [{"code": 1201}, {"code": 1205, "status": 422}, "HTTP/1.1 502 Bad Gateway"]


def metric(client: TestClient, name: str, labels: str = "") -> float:
    pattern = rf"^{name}{re.escape(labels)} ([0-9.e+]+)$"
    found = re.search(pattern, client.get("/metrics").text, re.M)
    return float(found[1]) if found else 0.0


@pytest.fixture
def proxied(postgres_db) -> Iterator[tuple[TcpProxy, TestClient, str]]:
    url = make_url(postgres_db.url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    through = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    settings = postgres_db.settings(
        database_url=through,
        ingest_token=TOKEN,
        db_timeout=0.5,
        observations_commit_timeout=1.0,
    )
    try:
        with TestClient(app=create_app(settings)) as client:
            yield proxy, client, postgres_db.url
    finally:
        proxy.close()


def acknowledged_once_up(client: TestClient, attempts: int = 20) -> int:
    """Post until a 202 (the database is back; the pool reconnects): what that 202 accepted.
    The 503s before it counted nothing."""
    for _ in range(attempts):
        response = client.post("/observations", json=BATCH, headers=AUTH)
        if response.status_code == 202:
            return int(response.json()["accepted"])
        assert_envelope(response, 503, 10503, "HTTP_ServiceUnavailable")
    raise AssertionError(f"no 202 in {attempts} attempts once the database was back")


def test_a_stalled_database_gets_503_and_nothing_of_those_requests_is_stored(proxied):
    proxy, client, url = proxied
    acknowledged = acknowledged_once_up(client)
    timeouts = metric(client, "errcat_observations_refused_total", '{reason="timeout"}')
    proxy.pause()
    try:
        for _ in range(2):
            response = client.post("/observations", json=BATCH * 3, headers=AUTH)
            error = assert_envelope(response, 503, 10503, "HTTP_ServiceUnavailable")
            assert "not committed" in error["message"] and "nothing was counted" in error["message"]
            assert response.headers["retry-after"] == "1"  # the commit timeout, rounded up
    finally:
        proxy.resume()
    refused = metric(client, "errcat_observations_refused_total", '{reason="timeout"}')
    assert refused == timeouts + 2
    acknowledged += acknowledged_once_up(client)
    assert stored_observations(url) == acknowledged


def test_a_cut_database_gets_503_and_the_restored_one_commits(proxied):
    proxy, client, url = proxied
    acknowledged = acknowledged_once_up(client)
    proxy.cut()
    try:
        for _ in range(3):
            response = client.post("/observations", json=BATCH, headers=AUTH)
            error = assert_envelope(response, 503, 10503, "HTTP_ServiceUnavailable")
            assert "nothing was counted" in error["message"]
    finally:
        proxy.restore()
    acknowledged += acknowledged_once_up(client)
    acknowledged += acknowledged_once_up(client)
    assert stored_observations(url) == acknowledged


def test_a_connection_lost_after_commit_was_sent_is_in_doubt(proxied, caplog):
    proxy, client, url = proxied
    acknowledged = acknowledged_once_up(client)
    in_doubt = metric(client, "errcat_observations_in_doubt_total")
    proxy.break_after(COMMIT_MESSAGE)
    with caplog.at_level(logging.ERROR, logger="errcat"):
        response = client.post("/observations", json=BATCH * 2, headers=AUTH)
    error = assert_envelope(response, 503, 10503, "HTTP_ServiceUnavailable")
    assert "unknown" in error["message"] and "nothing was counted" not in error["message"]
    assert metric(client, "errcat_observations_in_doubt_total") == in_doubt + 6
    (logged,) = [r.getMessage() for r in caplog.records if "in doubt" in r.getMessage()]
    assert "6 of 1 request(s)" in logged
    assert '[1201, null, null, "code", 2]' in logged  # the rows, for an operator to reconcile
    # PostgreSQL did get the COMMIT: the in-doubt rows are there, beside the acknowledged ones.
    assert stored_observations(url) == acknowledged + 6
    acknowledged += acknowledged_once_up(client)
    assert stored_observations(url) == acknowledged + 6


@contextmanager
def another_writer_holding_the_lock(db) -> Iterator[None]:
    """Hold the lock every observation write takes (SQLite's write lock; on PostgreSQL the
    advisory lock that serialises replicas' writes, key 0x4552424F)."""
    if db.backend == "sqlite":
        conn = sqlite3.connect(make_url(db.url).database, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    held, release = threading.Event(), threading.Event()

    async def hold() -> None:
        engine = make_engine(db.url)
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT pg_advisory_lock(x'4552424F'::int)"))
                held.set()
                await asyncio.to_thread(release.wait)
                await conn.execute(text("SELECT pg_advisory_unlock(x'4552424F'::int)"))
        finally:
            await engine.dispose()

    holder = threading.Thread(target=asyncio.run, args=(hold(),))
    holder.start()
    try:
        assert held.wait(30), "the advisory lock was never taken"
        yield
    finally:
        release.set()
        holder.join(30)


def test_a_database_kept_busy_by_another_writer_gets_503_and_stores_nothing(seeded_db):
    settings = seeded_db.settings(ingest_token=TOKEN, observations_commit_timeout=0.5)
    before = stored_observations(seeded_db.url)
    with TestClient(app=create_app(settings)) as client:
        acknowledged = acknowledged_once_up(client)
        with another_writer_holding_the_lock(seeded_db):
            response = client.post("/observations", json=BATCH * 5, headers=AUTH)
            error = assert_envelope(response, 503, 10503, "HTTP_ServiceUnavailable")
            assert "nothing was counted" in error["message"]
        acknowledged += acknowledged_once_up(client)
    assert stored_observations(seeded_db.url) == before + acknowledged
