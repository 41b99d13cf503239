"""POST /observations, GET /observations and /observations/drift through the real app, on both
databases: auth, the group commit (a 202 means committed), counts adding across replicas, the
key cap, bounds. When a batch commits: test_observations_group_commit.py; the database going
away: tests/test_observations_durability.py."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3

import pytest
from sqlalchemy import delete, inspect, text
from sqlalchemy.engine import make_url

from app.cli import main as cli_main
from app.db.store import make_engine
from app.db.tables import Base, ObservationOverflowRow, ObservationRow
from app.main import create_app
from tests.envelope_assertions import assert_envelope
from tests.served_client import ServedClient

TOKEN = "test-ingest-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
URL = "/observations"


def _run(url, work):
    async def go():
        engine = make_engine(url)
        try:
            async with engine.connect() as conn:
                result = await work(conn)
                await conn.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(go())


def _clear(url):
    async def work(conn):
        await conn.execute(delete(ObservationRow))
        await conn.execute(delete(ObservationOverflowRow))

    _run(url, work)


def _settings(db, **overrides):
    return db.settings(**{"ingest_token": TOKEN, **overrides})


@pytest.fixture
def db(seeded_db):
    _clear(seeded_db.url)
    yield seeded_db
    _clear(seeded_db.url)


@pytest.fixture
def ingest(db):
    with ServedClient(app=create_app(_settings(db))) as client:
        yield client


def rows(client, **params):
    response = client.get(URL, params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    return response.json()


def keyed(page):
    return {(i["code"], i["slug"], i["status"], i["confidence"]): i["count"] for i in page["items"]}


# --- on, off, and who may ingest --------------------------------------------------------------


def test_ingestion_is_off_without_a_token(client):
    response = client.post(URL, json={"items": ["502 Bad Gateway"]}, headers=AUTH)
    error = assert_envelope(response, 404, 10404, "HTTP_URLNotFound")
    assert "ingestion is off" in error["message"]
    assert "INGEST_TOKEN" in error["suggested_fix"]
    # reading what was observed does not need ingestion on this replica
    assert client.get(URL).status_code == 200


def test_a_token_is_required_and_checked(ingest):
    body = {"items": ["502 Bad Gateway"]}
    missing = ingest.post(URL, json=body)
    assert_envelope(missing, 401, 10401, "HTTP_Unauthorized")
    assert missing.headers["www-authenticate"] == 'Bearer realm="errcat"'
    basic = ingest.post(URL, json=body, headers={"Authorization": f"Basic {TOKEN}"})
    assert_envelope(basic, 401, 10401)
    wrong = ingest.post(URL, json=body, headers={"Authorization": "Bearer not-the-token"})
    assert_envelope(wrong, 401, 10401)
    assert wrong.headers["www-authenticate"] == 'Bearer realm="errcat", error="invalid_token"'
    prefix = ingest.post(URL, json=body, headers={"Authorization": f"Bearer {TOKEN[:-1]}"})
    assert_envelope(prefix, 401, 10401)
    assert rows(ingest)["total"] == 0  # nothing refused was counted
    right = ingest.post(URL, json=body, headers=AUTH)
    assert right.status_code == 202, right.text
    assert right.json() == {"accepted": 1}


# --- the group commit: a 202 means committed ---------------------------------------------------


def test_bodies_of_any_shape_are_decoded_and_committed_before_the_202(ingest):
    items = [
        {
            "error": {
                "message": "Tool not found",
                "code": 2401,
                "slug": "Tool_ToolNotFound",
                "status": 404,
                "request_id": "req_1",
            }
        },
        {"code": 2401, "slug": "Tool_ToolNotFound", "status": 404},  # a decoded tuple
        "Error code: 429 - {'error': {'message': 'Too many', 'code': 10429}}",
        {"code": 10429, "slug": "HTTP_TooManyRequests"},
        "no error in here",
    ]
    response = ingest.post(URL, json={"items": items}, headers=AUTH)
    assert response.status_code == 202 and response.json()["accepted"] == 5
    # a bare array is a batch too
    assert ingest.post(URL, json=[items[0]], headers=AUTH).json()["accepted"] == 1
    # committed before the answer: the database holds them already
    page = rows(ingest)
    assert keyed(page) == {
        (2401, "Tool_ToolNotFound", 404, "exact"): 3,
        (10429, None, 429, "code"): 1,
        (10429, "HTTP_TooManyRequests", None, "exact"): 1,
        (None, None, None, "none"): 1,
    }
    assert page["total"] == 4 and page["overflow"] == 0
    top = page["items"][0]
    assert top["count"] == 3 and top["first_seen"] <= top["last_seen"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)", top["first_seen"])
    assert ingest.front.state["observations"].pending == 0  # nothing left waiting


def test_commits_add_to_the_stored_counts(ingest):
    for _ in range(3):
        assert ingest.post(URL, json=[{"code": 1205, "status": 422}] * 2, headers=AUTH).is_success
    page = rows(ingest)
    assert keyed(page) == {(1205, None, 422, "code"): 6}
    item = page["items"][0]
    assert item["first_seen"] < item["last_seen"]


def _metric(client, name, labels=""):
    found = re.search(
        rf"^{name}{re.escape(labels)} ([0-9.e+]+)$", client.get("/metrics").text, re.M
    )
    return float(found[1]) if found else 0.0


def test_two_replicas_on_one_database_add_up(db):
    one = ServedClient(app=create_app(_settings(db)))
    two = ServedClient(app=create_app(_settings(db)))
    with one, two:
        body = [{"code": 1803, "status": 400}, "HTTP_TooManyRequests: slow down"]
        for _ in range(3):
            assert one.post(URL, json=body, headers=AUTH).status_code == 202
        for _ in range(2):
            assert two.post(URL, json=body, headers=AUTH).status_code == 202
        expected = {(1803, None, 400, "code"): 5, (None, "HTTP_TooManyRequests", None, "text"): 5}
        assert keyed(rows(one)) == keyed(rows(two)) == expected
        one.post(URL, json=body[:1], headers=AUTH)
        assert keyed(rows(two))[(1803, None, 400, "code")] == 6


def test_the_key_cap_counts_overflow(db):
    with ServedClient(app=create_app(_settings(db, observations_max_keys=3))) as client:
        before = _metric(client, "errcat_observations_overflow_total")
        batch = [{"code": 1201}] * 5 + [{"code": 1205}] * 4 + [{"code": 2401}] * 3
        batch += [{"code": 90001}] * 2 + [{"code": 90002}]
        assert client.post(URL, json=batch, headers=AUTH).json()["accepted"] == 15
        # the most frequent new keys were stored; the two rarest overflowed
        page = rows(client)
        assert keyed(page) == {
            (1201, None, None, "code"): 5,
            (1205, None, None, "code"): 4,
            (2401, None, None, "code"): 3,
        }
        assert page["overflow"] == 3 and page["total"] == 3
        assert _metric(client, "errcat_observations_overflow_total") == before + 3
        # known keys keep counting when the table is full; new ones keep overflowing
        client.post(URL, json=[{"code": 1201}, {"code": 90003}], headers=AUTH)
        page = rows(client)
        assert keyed(page)[(1201, None, None, "code")] == 6
        assert page["overflow"] == 4 and page["total"] == 3
        assert _metric(client, "errcat_observations_overflow_total") == before + 4


def test_a_full_batch_answers_503_and_counts_nothing(ingest):
    ingest.front.state["observations"].buffer_keys = 2
    refused = _metric(ingest, "errcat_observations_refused_total", '{reason="full"}')
    assert ingest.post(URL, json=[{"code": 1201}, {"code": 1205}], headers=AUTH).is_success
    response = ingest.post(URL, json=[{"code": 1201}, {"code": 1205}, {"code": 2401}], headers=AUTH)
    error = assert_envelope(response, 503, 10503, "HTTP_ServiceUnavailable")
    assert "nothing was counted" in error["message"]
    assert response.headers["retry-after"] == "3"  # OBSERVATIONS_COMMIT_TIMEOUT, 3 s by default
    assert _metric(ingest, "errcat_observations_refused_total", '{reason="full"}') == refused + 1
    assert keyed(rows(ingest)) == {(1201, None, None, "code"): 1, (1205, None, None, "code"): 1}


# --- what is stored: never a message or a request id ------------------------------------------


def test_no_message_or_request_id_is_stored(ingest, db):
    secret = "Quarterly-payroll-export-for-ACME-failed"
    rid = "req_do_not_store_4242"
    body = {"error": {"message": secret, "code": 2401, "status": 404, "request_id": rid}}
    ingest.post(URL, json=[body, f"{secret} request {rid} status 500"], headers=AUTH)
    assert rows(ingest)["total"] == 2

    def columns(conn):
        return {c["name"] for c in inspect(conn).get_columns("observations")}

    async def cols(conn):
        return await conn.run_sync(columns)

    assert _run(db.url, cols) == {
        "key_hash",
        "code",
        "slug",
        "status",
        "confidence",
        "count",
        "first_seen",
        "last_seen",
    }
    if db.backend == "sqlite":
        path = make_url(db.url).database
        with sqlite3.connect(path) as conn:
            dump = "\n".join(conn.iterdump())
    else:

        async def everything(conn):
            out = []
            for name in Base.metadata.tables:
                result = await conn.execute(text(f'SELECT t::text FROM "{name}" t'))
                out.extend(result.scalars())
            return "\n".join(out)

        dump = _run(db.url, everything)
    assert "2401" in dump
    assert secret not in dump and rid not in dump


# --- bounds -----------------------------------------------------------------------------------


def test_bad_batches_are_refused_in_the_envelope_and_count_nothing(ingest):
    too_many = ingest.post(URL, json=[1] * 1001, headers=AUTH)
    assert "at most 1000" in assert_envelope(too_many, 400, 10400)["message"]
    big_item = ingest.post(URL, json=["x" * 70_000, "status 500"], headers=AUTH)
    error = assert_envelope(big_item, 413, 10413)
    assert error["errors"] == ["items[0]: 70000 bytes; at most 65536"]
    huge = ingest.post(URL, json=["y" * 60_000] * 20, headers=AUTH)  # > MAX_BODY_BYTES
    assert_envelope(huge, 413, 10413)
    not_json = ingest.post(
        URL, content=b"{nope", headers={**AUTH, "content-type": "application/json"}
    )
    assert_envelope(not_json, 400, 10400)
    deep = b"[" * 50_000 + b"]" * 50_000
    nested = ingest.post(URL, content=deep, headers={**AUTH, "content-type": "application/json"})
    assert "nested too deeply" in assert_envelope(nested, 400, 10400)["message"]
    no_items = ingest.post(URL, json={"items": 5}, headers=AUTH)
    assert_envelope(no_items, 400, 10400)
    assert_envelope(ingest.post(URL, json="just a string", headers=AUTH), 400, 10400)
    plain = ingest.post(URL, content=b"[]", headers={**AUTH, "content-type": "text/plain"})
    assert_envelope(plain, 415, 10415)
    empty = ingest.post(URL, json=[], headers=AUTH)
    assert empty.status_code == 202 and empty.json()["accepted"] == 0
    assert rows(ingest)["total"] == 0


# --- listing and drift ------------------------------------------------------------------------


def test_listing_is_paginated_most_frequent_first(ingest):
    batch = [{"code": 1201}] * 3 + [{"code": 1205}] * 2 + [{"code": 2401}]
    assert ingest.post(URL, json=batch, headers=AUTH).status_code == 202
    page = ingest.get(URL, params={"limit": 2}).json()
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 0)
    assert [(i["code"], i["count"]) for i in page["items"]] == [(1201, 3), (1205, 2)]
    rest = ingest.get(URL, params={"limit": 2, "offset": 2}).json()
    assert [(i["code"], i["count"]) for i in rest["items"]] == [(2401, 1)]
    assert_envelope(ingest.get(URL, params={"limit": 0}), 400, 10400)
    assert_envelope(ingest.get(URL, params={"limit": 501}), 400, 10400)
    assert_envelope(ingest.get(URL, params={"offset": -1}), 400, 10400)
    # The database's bound, not a 500 (schemathesis found 2**108 once).
    assert ingest.get(URL, params={"offset": 2**31 - 1}).json()["items"] == []
    assert_envelope(ingest.get(URL, params={"offset": 2**31}), 400, 10400)
    assert_envelope(ingest.get(URL, params={"offset": 2**108}), 400, 10400)


def test_drift_lists_every_category(ingest):
    batch = (
        [{"code": 4302, "slug": "ToolRouterV2_NoActiveConnection", "status": 400}] * 3
        + [{"slug": "TriggerInstance_PollingConfigInvalid", "status": 400}]
        + [{"code": 2401, "slug": "Tool_Vanished", "status": 404}] * 2
        + [{"error": {"code": 1205, "status": 500, "message": "refresh failed"}}] * 4
    )
    assert ingest.post(URL, json=batch, headers=AUTH).status_code == 202
    report = ingest.get(f"{URL}/drift").json()
    assert report["observations"] == 10 and report["keys"] == 4
    (unknown,) = report["unknown_codes"]
    assert (unknown["code"], unknown["count"], unknown["ranges"]) == (4302, 3, [])
    assert unknown["slugs"] == [{"slug": "ToolRouterV2_NoActiveConnection", "count": 3}]
    assert [u["slug"] for u in report["unknown_slugs"]] == ["TriggerInstance_PollingConfigInvalid"]
    (mismatch,) = report["slug_mismatches"]
    assert (mismatch["code"], mismatch["slug"], mismatch["count"]) == (2401, "Tool_Vanished", 2)
    assert [c["slug"] for c in mismatch["catalogue"]] == ["Tool_ToolNotFound"]
    (status,) = report["status_mismatches"]
    assert (status["code"], status["status"], status["count"]) == (1205, 500, 4)
    assert [(c["slug"], c["status"]) for c in status["catalogue"]] == [
        ("TriggerInstance_AuthRefreshRequired", 422)
    ]
    never = {v["slug"] for v in report["never_seen"]}
    assert "Tool_ToolNotFound" not in never and "TriggerInstance_AuthRefreshRequired" not in never
    assert "HTTP_TooManyRequests" in never
    fewer = ingest.get(f"{URL}/drift", params={"min_count": 3}).json()
    assert [u["code"] for u in fewer["unknown_codes"]] == [4302]
    assert fewer["unknown_slugs"] == [] and fewer["slug_mismatches"] == []
    assert_envelope(ingest.get(f"{URL}/drift", params={"min_count": 0}), 400, 10400)


def test_errcat_propose_prints_a_draft(ingest, db, monkeypatch, capsys):
    batch = [{"code": 4302, "slug": "ToolRouterV2_NoActiveConnection", "status": 400}] * 2
    batch += [{"code": 1205, "status": 500}, {"code": 77777}]
    assert ingest.post(URL, json=batch, headers=AUTH).status_code == 202
    monkeypatch.setenv("DATABASE_URL", db.url)
    assert cli_main(["propose"]) == 0
    out, err = capsys.readouterr()
    draft = json.loads(out)
    assert set(draft) == {"source", "services", "ranges", "entries", "notes"}
    assert [(e["code"], e["service"], e["name"]) for e in draft["entries"]] == [
        (4302, "ToolRouterV2", "NoActiveConnection")
    ]
    assert draft["entries"][0]["provenance"]["seen_in"].startswith("observed by errcat: 2 times")
    assert [n["code"] for n in draft["notes"]] == [1205]
    assert [s["name"] for s in draft["services"]] == ["ToolRouterV2"]
    assert "code 77777" in err
    assert cli_main(["propose", "--min-count", "2"]) == 0
    assert json.loads(capsys.readouterr().out)["notes"] == []


def test_openapi_documents_the_observation_routes(client):
    paths = client.get("/schema/openapi.json").json()["paths"]
    post = paths["/observations"]["post"]
    assert {"202", "400", "401", "404", "413", "415", "503"} <= set(post["responses"])
    assert "application/json" in post["requestBody"]["content"]
    example = post["responses"]["401"]["content"]["application/json"]["examples"]
    (value,) = [e["value"] for e in example.values()]
    assert (value["error"]["code"], value["error"]["slug"]) == (10401, "HTTP_Unauthorized")
    assert "get" in paths["/observations"] and "get" in paths["/observations/drift"]
