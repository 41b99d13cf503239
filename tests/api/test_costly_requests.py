"""Bounded costs: metric labels, /metrics protection and format, batch size and answer size."""

from __future__ import annotations

import re

import msgspec
from litestar.testing import TestClient

from app.catalogue.envelope_batch import (
    MAX_BATCH,
    MAX_BATCH_BYTES,
    MAX_BATCH_FINDINGS,
    MAX_BATCH_ITEM_FINDINGS,
)
from app.main import create_app
from tests.envelope_assertions import assert_envelope

BATCH = "/validate-envelope/batch"


def series(text: str, name: str = "errcat_requests_total") -> list[str]:
    return [line for line in text.splitlines() if line.startswith(name + "{")]


def test_made_up_methods_share_one_label(client):
    for i in range(30):
        response = client.request(f"BREW{i}", "/codes/1205")
        assert_envelope(response, 405, 10405)
        client.request(f"X{i}", f"/no/such/{i}")
    text = client.get("/metrics").text
    methods = {re.search(r'method="([^"]*)"', s).group(1) for s in series(text)}
    assert "other" in methods
    assert not any(m.startswith(("BREW", "X")) for m in methods)
    assert methods <= {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"}


def test_head_is_counted_as_head(client):
    def count(text: str, method: str) -> float:
        found = re.search(
            rf'errcat_requests_total\{{method="{method}",path="/statuses",status_code="200"\}} '
            r"(\S+)",
            text,
        )
        return float(found.group(1)) if found else 0.0

    before = client.get("/metrics").text
    assert client.head("/statuses").status_code == 200
    after = client.get("/metrics").text
    assert count(after, "HEAD") == count(before, "HEAD") + 1
    assert count(after, "GET") == count(before, "GET")


def test_metrics_content_type_names_its_charset_once(client):
    content_type = client.get("/metrics").headers["content-type"]
    assert content_type.count("charset") == 1
    assert content_type.startswith("text/plain; version=")
    assert content_type.endswith("; charset=utf-8")


def test_database_gauge(client):
    assert re.search(r"^errcat_database_up 1\.0$", client.get("/metrics").text, re.M)


def test_metrics_token(seeded_db):
    app = create_app(seeded_db.settings(metrics_token="s3cret-token"))
    with TestClient(app=app) as client:
        for headers in (
            {},
            {"Authorization": "Bearer wrong"},
            {"Authorization": "Basic s3cret-token"},
            {"Authorization": "Bearer s3cret-token-and-more"},
        ):
            response = client.get("/metrics", headers=headers)
            error = assert_envelope(response, 401, 10401, "HTTP_Unauthorized")
            assert "bearer token" in error["message"]
            assert response.headers["www-authenticate"].startswith("Bearer")
        ok = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
        assert ok.status_code == 200 and "errcat_catalogue_entries" in ok.text
        # only /metrics is protected
        assert client.get("/codes/1205").status_code == 200


def test_a_batch_over_the_byte_bound_is_a_413(client):
    # No body the schema allows is this long as an encoder writes it; padding still makes one.
    body = b"[" + b" " * MAX_BATCH_BYTES + b"]"
    response = client.post(BATCH, content=body, headers={"Content-Type": "application/json"})
    error = assert_envelope(response, 413)
    assert str(MAX_BATCH_BYTES) in error["message"] and "batch" in error["message"]


def test_a_batch_answer_is_bounded(client):
    # Each envelope is within a batch's bounds but full of problems: wrong types, missing
    # fields, unknown members, bad `errors` elements (strict: every one an error).
    noisy = {
        "error": {"message": 1, "code": "x", "status": "y", "errors": [1, 2, 3, 4], "a": 0, "b": 0},
        "extra": 0,
    }
    items = MAX_BATCH
    body = msgspec.json.encode([noisy] * items)
    assert len(body) < MAX_BATCH_BYTES
    response = client.post(
        f"{BATCH}?profile=strict", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    report = response.json()
    assert report["total"] == items and report["invalid"] == items and report["valid"] == 0
    listed = [len(r["errors"]) + len(r["warnings"]) for r in report["items"]]
    assert max(listed) <= MAX_BATCH_ITEM_FINDINGS
    assert sum(listed) <= MAX_BATCH_FINDINGS
    assert report["truncated"] == list(range(items))  # every one of them had more
    assert report["omitted"] > 0
    # once the total budget is spent, later envelopes keep their verdict but list nothing
    assert listed[-1] == 0 and report["items"][-1]["valid"] is False
    # what the same envelope gets alone is its full report
    alone = client.post("/validate-envelope?profile=strict", json=noisy).json()
    assert len(alone["errors"]) + len(alone["warnings"]) > MAX_BATCH_ITEM_FINDINGS
    assert report["items"][0]["errors"] == alone["errors"][:MAX_BATCH_ITEM_FINDINGS]


def test_a_clean_batch_is_not_truncated(client):
    good = {
        "error": {
            "message": "Authentication refresh required",
            "code": 1205,
            "slug": "TriggerInstance_AuthRefreshRequired",
            "status": 422,
            "request_id": "req_1",
        }
    }
    report = client.post(BATCH, json=[good, good]).json()
    assert report["truncated"] == [] and report["omitted"] == 0 and report["valid"] == 2


def test_the_batch_bounds_are_in_the_openapi(client):
    operation = client.get("/schema/openapi.json").json()["paths"][BATCH]["post"]
    assert str(MAX_BATCH_BYTES) in operation["description"]
    assert str(MAX_BATCH_FINDINGS) in operation["description"]
    assert "truncated" in operation["description"]
