"""PostgreSQL cut and stalled behind a proxy the test controls.

Lookups keep answering from memory, /ready stays 200 and reports the database's state, routes
that must ask the database answer 503 in the envelope within DB_TIMEOUT (the bounds asserted
here are hang guards, far above the timeout, not performance checks), the reload loop logs the
stall and carries on, and everything recovers when the proxy lets traffic through again.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient
from sqlalchemy.engine import make_url

from app.main import create_app
from tests.envelope_assertions import assert_envelope
from tests.tcp_proxy import TcpProxy

DB_ROUTES = ("/catalogue/revisions", "/catalogue/changes?from=1")
HANG_GUARD = 10.0  # seconds; DB_TIMEOUT below is 0.5


@pytest.fixture
def proxied(postgres_db) -> Iterator[tuple[TcpProxy, TestClient]]:
    url = make_url(postgres_db.url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    through = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    settings = postgres_db.settings(database_url=through, db_timeout=0.5, reload_interval=0.2)
    try:
        with TestClient(app=create_app(settings)) as client:
            yield proxy, client
    finally:
        proxy.close()


def timed_get(client: TestClient, path: str):
    start = time.monotonic()
    response = client.get(path)
    return response, time.monotonic() - start


def wait_for_state(client: TestClient, state: str) -> dict:
    deadline = time.monotonic() + HANG_GUARD
    while True:
        body = client.get("/ready").json()
        if body.get("database", {}).get("state") == state:
            return body
        assert time.monotonic() < deadline, f"database state never became {state}: {body}"
        time.sleep(0.1)


def database_up(client: TestClient) -> str:
    found = re.search(r"^errcat_database_up (\S+)$", client.get("/metrics").text, re.M)
    assert found
    return found.group(1)


def assert_degraded_but_serving(client: TestClient, state: str) -> None:
    ready, took = timed_get(client, "/ready")
    assert ready.status_code == 200 and took < HANG_GUARD
    body = ready.json()
    assert body["status"] == "ready" and body["catalogue"]["revision"] >= 1
    assert body["database"]["state"] == state and body["database"]["last_error"]
    assert body["database"]["checked_at"]
    # lookups answer from memory
    assert client.get("/codes/1205").json()["code"] == 1205
    assert client.get("/ranges/resolve?code=1810").status_code == 200
    # what must ask the database says so, in the envelope, within the timeout
    for path in DB_ROUTES:
        response, took = timed_get(client, path)
        error = assert_envelope(response, 503, 10503, "HTTP_ServiceUnavailable")
        assert error["message"].startswith("Database unavailable")
        assert took < HANG_GUARD, f"{path} hung for {took:.1f}s"
    assert database_up(client) == "0.0"


def assert_recovered(client: TestClient) -> None:
    body = wait_for_state(client, "ok")
    assert body["database"]["last_error"] is None
    for path in DB_ROUTES:
        assert client.get(path).status_code == 200
    assert database_up(client) == "1.0"


def test_a_cut_database(proxied, caplog):
    proxy, client = proxied
    assert client.get("/ready").json()["database"]["state"] == "ok"
    assert database_up(client) == "1.0"
    with caplog.at_level(logging.INFO, logger="errcat"):
        proxy.cut()
        assert_degraded_but_serving(client, "unreachable")
        proxy.restore()
        assert_recovered(client)
    messages = [r.getMessage() for r in caplog.records if r.name == "errcat"]
    assert any(m.startswith("database unreachable") for m in messages)
    assert "database reachable again" in messages


def test_a_stalled_database(proxied, caplog):
    proxy, client = proxied
    assert client.get("/ready").json()["database"]["state"] == "ok"
    with caplog.at_level(logging.INFO, logger="errcat"):
        proxy.pause()
        assert_degraded_but_serving(client, "stalled")
        # the reload loop (every 0.2 s) meets the stall too: a warning naming the timeout,
        # and it carries on (the next rounds run: more reload failures are logged)
        deadline = time.monotonic() + HANG_GUARD
        while True:
            failures = [
                r.getMessage()
                for r in caplog.records
                if r.getMessage().startswith("catalogue reload failed")
            ]
            if len(failures) >= 2:
                break
            assert time.monotonic() < deadline, "the reload loop did not carry on"
            time.sleep(0.1)
        assert any("DB_TIMEOUT" in m for m in failures)
        proxy.resume()
        assert_recovered(client)
    messages = [r.getMessage() for r in caplog.records if r.name == "errcat"]
    assert any(m.startswith("database stalled") and "DB_TIMEOUT" in m for m in messages)
    assert "database reachable again" in messages
    # the snapshot survived the whole episode
    assert client.get("/codes/1205").json()["code"] == 1205
