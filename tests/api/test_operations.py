"""Operations: readiness, metrics, a live reload after a reseed."""

from __future__ import annotations

import asyncio
import re
import time

import msgspec
from litestar.testing import TestClient

from app.db.setup import migrate, seed
from app.main import create_app
from app.seeds import load_seed, render
from tests.envelope_assertions import assert_envelope


def test_ready_when_loaded(client):
    body = client.get("/ready").json()
    assert body["status"] == "ready" and body["database"]["state"] == "ok"
    assert body["database"]["last_error"] is None and body["database"]["checked_at"]
    assert body["catalogue"]["revision"] >= 1 and len(body["catalogue"]["content_hash"]) == 64


def test_metrics_are_scraped(client):
    client.get("/codes/1205")
    client.get("/codes/99999")
    client.get("/no/such/route")
    client.head("/codes/1205")
    text = client.get("/metrics").text
    assert re.search(
        r'errcat_requests_total\{method="HEAD",path="/codes/\{code\}",status_code="200"\} \d', text
    )
    assert re.search(
        r'errcat_requests_total\{[^}]*path="unmatched"[^}]*status_code="404"\} \d', text
    )
    assert re.search(
        r'errcat_requests_total\{[^}]*path="/codes/\{code\}"[^}]*status_code="200"\} \d', text
    )
    assert re.search(
        r'errcat_requests_total\{[^}]*path="/codes/\{code\}"[^}]*status_code="404"\} \d', text
    )
    assert "errcat_request_duration_seconds_bucket" in text
    assert re.search(r"^errcat_catalogue_entries 202\.0$", text, re.M)
    assert re.search(r"^errcat_catalogue_revision [1-9]", text, re.M)
    assert re.search(r"^errcat_catalogue_reloads_total [1-9]", text, re.M)


def test_a_running_app_picks_up_a_reseed_without_restart(fresh_db, tmp_path):
    fresh_db.migrate_and_seed()
    doc = load_seed()
    settings = fresh_db.settings(reload_interval=0.2)
    with (
        TestClient(app=create_app(settings)) as client,
        TestClient(app=create_app(settings)) as other,
    ):
        before = client.get("/codes/1205")
        assert before.json()["entries"][0]["description"] == "Authentication refresh required"
        old_etag = before.headers["etag"]
        # a new revision: one description edited (not a breaking change)
        section = next(s for s in doc.sections if s.name == "TriggerInstance")
        rows = tuple(
            msgspec.structs.replace(r, description="Re-authenticate, then retry")
            if r.code == 1205
            else r
            for r in section.rows
        )
        changed = msgspec.structs.replace(
            doc,
            sections=tuple(
                msgspec.structs.replace(s, rows=rows) if s is section else s for s in doc.sections
            ),
        )
        path = tmp_path / "catalogue.json"
        path.write_text(render(changed))
        result = asyncio.run(seed(fresh_db.settings(), path))
        assert result.changed
        for app_client in (client, other):  # two instances on one database both see it
            deadline = time.monotonic() + 10
            while True:
                now = app_client.get("/codes/1205")
                if now.json()["entries"][0]["description"] == "Re-authenticate, then retry":
                    break
                assert time.monotonic() < deadline, "the new revision was not picked up"
                time.sleep(0.1)
            assert now.headers["etag"] != old_etag
            assert (
                app_client.get("/codes/1205", headers={"If-None-Match": old_etag}).status_code
                == 200
            )


def test_a_first_load_is_retried_even_with_reloads_off(fresh_db, monkeypatch):
    from app import live

    monkeypatch.setattr(live, "FIRST_LOAD_RETRY", 0.1)
    migrate(fresh_db.settings())  # a schema, no catalogue yet
    with TestClient(app=create_app(fresh_db.settings(reload_interval=0))) as client:
        error = assert_envelope(client.get("/ready"), 503, 10503)
        assert "not loaded yet" in error["message"]
        assert_envelope(client.get("/codes/1205"), 503, 10503)
        fresh_db.migrate_and_seed()
        deadline = time.monotonic() + 10
        while client.get("/ready").status_code != 200:
            assert time.monotonic() < deadline, "the first catalogue was never loaded"
            time.sleep(0.1)
        assert client.get("/codes/1205").json()["code"] == 1205
