"""GET /codes/{code} through the real app, on both databases."""

from __future__ import annotations

import pytest

from tests.envelope_assertions import assert_envelope


def test_lookup_1205(client):
    body = client.get("/codes/1205").json()
    assert body["code"] == 1205
    assert body["ranges"] == [{"start": 1200, "end": 1299, "service": "TriggerInstance"}]
    assert body["entries"] == [
        {
            "code": 1205,
            "name": "AuthRefreshRequired",
            "status": 422,
            "description": "Authentication refresh required",
            "service": "TriggerInstance",
            "namespace": "platform",
            "slug": "TriggerInstance_AuthRefreshRequired",
            "action": "fix_request",
            "retryable": False,
            "ranges": [{"start": 1200, "end": 1299, "service": "TriggerInstance"}],
            "origin": "page",
            "provenance": None,
            "notes": [],
        }
    ]


def test_a_number_listed_twice_in_one_section_answers_both(client):
    entries = client.get("/codes/10503").json()["entries"]
    assert [(e["service"], e["name"], e["status"]) for e in entries] == [
        ("HTTP", "ServiceUnavailable", 503),
        ("HTTP", "BadState", 422),
    ]


def test_a_number_listed_in_two_sections_answers_both(client):
    entries = client.get("/codes/1803").json()["entries"]
    assert [(e["service"], e["name"], e["status"]) for e in entries] == [
        ("ActionExecute", "ConnectedAccountError", 400),
        ("Project", "ResourceNotFound", 400),
    ]


@pytest.mark.parametrize(
    ("path", "service", "ranges"),
    [
        ("/codes/100", "Prisma/Database", [[100, 199]]),
        ("/codes/600", "ConnectedAccount", [[600, 699]]),
        (
            "/codes/301",
            "Auth_Config",
            [[300, 399]],
        ),  # printed under Auth_Config, in Toolkit's range
        ("/codes/1141", "MCP", [[1100, 1199]]),
        ("/codes/3850", "Notification", [[3800, 3899]]),
    ],
)
def test_service_is_the_printed_section_name(client, path, service, ranges):
    body = client.get(path).json()
    assert [e["service"] for e in body["entries"]] == [service]
    assert [[r["start"], r["end"]] for r in body["ranges"]] == ranges


def test_namespace_narrows_the_lookup(client):
    assert [e["name"] for e in client.get("/codes/2").json()["entries"]] == ["DbNotFoundError"]
    thermos = client.get("/codes/2?namespace=thermos").json()["entries"]
    assert [(e["namespace"], e["service"], e["status"]) for e in thermos] == [
        ("thermos", "Database", 404)
    ]
    response = client.get("/codes/2?namespace=platform")
    error = assert_envelope(response, 404, 10424, "HTTP_ResourceNotFound")
    assert "namespace platform" in error["message"]


def test_bad_namespace_is_a_400_naming_the_field(client):
    error = assert_envelope(client.get("/codes/2?namespace=galaxy"), 400, 10400, "HTTP_BadRequest")
    assert any("namespace" in e for e in error["errors"])


def test_unknown_number_inside_a_range_names_the_range(client):
    error = assert_envelope(client.get("/codes/1810"), 404, 10424, "HTTP_ResourceNotFound")
    assert "1800-1899 (ActionExecute)" in error["suggested_fix"]
    assert error["message"] == "Code 1810 is not documented"


def test_unknown_number_outside_every_range_names_the_nearest(client):
    error = assert_envelope(client.get("/codes/1450"), 404, 10424)
    assert "1300-1399 (JWT)" in error["suggested_fix"]
    assert "1500-1599 (Stripe)" in error["suggested_fix"]


@pytest.mark.parametrize("raw", ["abc", "12.5", "1e3", "99999999999999999999999", "%20"])
def test_non_integer_code_is_a_400(client, raw):
    error = assert_envelope(client.get(f"/codes/{raw}"), 400, 10400, "HTTP_BadRequest")
    assert "integer" in error["message"]


def test_request_id_is_honoured_or_generated(client):
    given = client.get("/codes/1205", headers={"X-Request-ID": "trace-42.a"})
    assert given.headers["x-request-id"] == "trace-42.a"
    unsafe = client.get("/codes/abc", headers={"X-Request-ID": "bad id <script>"})
    rid = unsafe.headers["x-request-id"]
    assert rid.startswith("req_") and unsafe.json()["error"]["request_id"] == rid
    assert (
        client.get("/codes/1").headers["x-request-id"]
        != client.get("/codes/1").headers["x-request-id"]
    )


def test_health(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
