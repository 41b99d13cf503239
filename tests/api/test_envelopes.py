"""POST /validate-envelope and /validate-envelope/batch through the real app, on both databases.

The rules themselves are covered in tests/unit/test_envelope.py; these prove the wiring: the
report on the wire, the query parameters, and every bad body answered in errcat's envelope.
"""

from __future__ import annotations

import time

import pytest

from app.catalogue.envelope_batch import MAX_BATCH
from tests.envelope_assertions import GOOD_ENVELOPE, assert_envelope

URL = "/validate-envelope"
BATCH = "/validate-envelope/batch"
JSON = {"content-type": "application/json"}

GOOD = GOOD_ENVELOPE
ENTRY_1205 = {
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


def findings(items):
    return [(f["path"], f["rule"]) for f in items]


def test_a_well_formed_envelope(client):
    response = client.post(URL, json=GOOD)
    assert response.status_code == 200
    assert response.headers["x-request-id"]
    assert response.json() == {
        "valid": True,
        "errors": [],
        "warnings": [],
        "entries": [ENTRY_1205],
        "matched": ENTRY_1205,
    }


def test_every_problem_with_its_pointer(client):
    body = {"error": {"message": "", "code": "1205", "status": 422, "errors": ["a", 3]}}
    report = client.post(URL, json=body).json()
    assert report["valid"] is False
    assert findings(report["errors"]) == [
        ("/error/message", "shape.empty"),
        ("/error/code", "shape.type"),
        ("/error/errors/1", "shape.type"),
    ]
    assert findings(report["warnings"]) == [
        ("/error/slug", "shape.recommended"),
        ("/error/request_id", "shape.recommended"),
    ]
    assert report["entries"] == [] and report["matched"] is None


def test_undocumented_code_in_a_range_is_valid_with_a_warning(client):
    body = {"error": {**GOOD["error"], "code": 1810, "slug": "ActionExecute_New", "status": 400}}
    report = client.post(URL, json=body).json()
    assert report["valid"] is True
    [warning] = report["warnings"]
    assert (warning["path"], warning["rule"]) == ("/error/code", "catalogue.code_undocumented")
    assert "1800-1899 (ActionExecute)" in warning["message"]


def test_status_against_the_catalogue(client):
    report = client.post(URL, json={"error": {**GOOD["error"], "status": 400}}).json()
    assert report["valid"] is False
    assert findings(report["errors"]) == [("/error/status", "catalogue.status_mismatch")]


@pytest.mark.parametrize(("status", "name"), [(503, "ServiceUnavailable"), (422, "BadState")])
def test_a_code_listed_twice_says_which_entry_matched(client, status, name):
    body = {"error": {"message": "x", "code": 10503, "status": status, "request_id": "r"}}
    report = client.post(URL, json=body).json()
    assert report["valid"] is True
    assert [e["name"] for e in report["entries"]] == ["ServiceUnavailable", "BadState"]
    assert report["matched"]["name"] == name


def test_http_status_query_parameter(client):
    mismatch = client.post(f"{URL}?http_status=400", json=GOOD).json()
    assert findings(mismatch["errors"]) == [("/error/status", "http.status_mismatch")]
    assert client.post(f"{URL}?http_status=422", json=GOOD).json()["valid"] is True


def test_profile_query_parameter(client):
    body = {"error": {**GOOD["error"], "details": {}}}
    del body["error"]["slug"]
    lenient = client.post(URL, json=body).json()
    strict = client.post(f"{URL}?profile=strict", json=body).json()
    assert lenient["valid"] is True
    assert findings(lenient["warnings"]) == [
        ("/error/details", "shape.unknown_field"),
        ("/error/slug", "shape.recommended"),
    ]
    assert strict["valid"] is False
    assert findings(strict["errors"]) == [
        ("/error/details", "shape.unknown_field"),
        ("/error/slug", "shape.required"),
    ]
    assert client.post(f"{URL}?profile=lenient", json=body).json() == lenient


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("profile=galaxy", "profile"),
        ("profile=STRICT", "profile"),
        ("http_status=99", "http_status"),
        ("http_status=600", "http_status"),
        ("http_status=abc", "http_status"),
    ],
)
def test_bad_query_parameters_are_a_400_naming_the_field(client, query, field):
    error = assert_envelope(client.post(f"{URL}?{query}", json=GOOD), 400, 10400, "HTTP_BadRequest")
    assert any(f"'{field}'" in e for e in error["errors"]), error["errors"]


def test_a_body_that_is_not_json_says_where(client):
    raw = b'{\n  "error": {\n    "code": 1205,\n  }\n}'
    error = assert_envelope(client.post(URL, content=raw, headers=JSON), 400, 10400)
    assert "line 4, column 3 (byte 35)" in error["message"]
    assert error["errors"] == ["body: line 4, column 3 (byte 35): trailing comma in object"]


@pytest.mark.parametrize("raw", [b"", b"  \n"])
def test_an_empty_body_is_a_400(client, raw):
    error = assert_envelope(client.post(URL, content=raw, headers=JSON), 400, 10400)
    assert error["message"] == "The body is empty"


@pytest.mark.parametrize(
    ("content_type", "says"),
    [
        ("text/plain", 'its Content-Type is "text/plain"'),
        ("application/x-www-form-urlencoded", "x-www-form-urlencoded"),
        ("application/jsonp", "application/jsonp"),
        (None, "it has no Content-Type"),
    ],
)
def test_a_body_that_is_not_sent_as_json_is_a_415(client, content_type, says):
    headers = {"content-type": content_type} if content_type else {}
    response = client.post(URL, content=b'{"error": {}}', headers=headers)
    error = assert_envelope(response, 415, 10415)
    assert says in error["message"]


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "application/problem+json"],
)
def test_json_media_types_are_accepted(client, content_type):
    response = client.post(URL, content=b'{"error": {}}', headers={"content-type": content_type})
    assert response.status_code == 200
    assert response.json()["valid"] is False


def test_an_oversized_body_is_a_413_in_the_envelope(client):
    padding = "x" * (1024 * 1024)
    body = f'{{"error": {{"message": "{padding}"}}}}'.encode()
    error = assert_envelope(client.post(URL, content=body, headers=JSON), 413, 10413)
    assert "1048576 bytes" in error["message"]


def test_deep_nesting_is_a_quick_400(client):
    started = time.perf_counter()
    raw = b"[" * 100_000 + b"]" * 100_000
    error = assert_envelope(client.post(URL, content=raw, headers=JSON), 400, 10400)
    assert "nested too deeply" in error["message"]
    assert time.perf_counter() - started < 2.0
    assert client.post(URL, json=GOOD).json()["valid"] is True  # and the service carries on


def test_nothing_from_the_body_comes_back_unescaped_or_whole(client):
    nasty = "<script>alert(1)</script>" + "A" * 10_000
    response = client.post(URL, json={"error": {**GOOD["error"], "code": nasty}})
    assert response.headers["content-type"].startswith("application/json")
    [error] = response.json()["errors"]
    assert error["path"] == "/error/code"
    assert len(error["message"]) < 200  # quoted, cut to 60 characters
    assert '\\"<script>alert(1)</script>AAA' in response.text  # inside a JSON string
    assert "A" * 100 not in response.text


def test_batch_reports_in_order_with_totals(client):
    body = [GOOD, {"error": {**GOOD["error"], "status": 500}}, "oops", {}]
    response = client.post(BATCH, json=body)
    assert response.status_code == 200
    report = response.json()
    assert (report["total"], report["valid"], report["invalid"]) == (4, 1, 3)
    assert [item["valid"] for item in report["items"]] == [True, False, False, False]
    assert findings(report["items"][1]["errors"]) == [
        ("/error/status", "catalogue.status_mismatch")
    ]
    assert findings(report["items"][2]["errors"]) == [("", "shape.type")]
    assert findings(report["items"][3]["errors"]) == [("/error", "shape.required")]
    assert report["items"][0]["matched"] == ENTRY_1205


def test_batch_profile(client):
    body = [{"error": {k: v for k, v in GOOD["error"].items() if k != "request_id"}}]
    assert client.post(BATCH, json=body).json()["valid"] == 1
    assert client.post(f"{BATCH}?profile=strict", json=body).json()["invalid"] == 1


def test_empty_batch(client):
    assert client.post(BATCH, json=[]).json() == {
        "items": [],
        "total": 0,
        "valid": 0,
        "invalid": 0,
        "truncated": [],
        "omitted": 0,
    }


def test_batch_too_large_is_a_400(client):
    error = assert_envelope(client.post(BATCH, json=[{}] * (MAX_BATCH + 1)), 400, 10400)
    assert f"at most {MAX_BATCH}" in error["message"]


def test_batch_body_must_be_an_array(client):
    error = assert_envelope(client.post(BATCH, json=GOOD), 400, 10400)
    assert "JSON array" in error["message"]


def test_batch_bad_bodies_share_the_single_routes_answers(client):
    assert_envelope(client.post(BATCH, content=b"[1,", headers=JSON), 400, 10400)
    assert_envelope(client.post(BATCH, content=b"[]", headers={"content-type": "text/csv"}), 415)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/codes/abc", 400), ("GET", "/nope", 404), ("GET", "/codes/1450", 404)],
)
def test_errcats_own_errors_pass_its_validator(client, method, path, status):
    response = client.request(method, path)
    assert response.status_code == status
    for profile in ("lenient", "strict"):
        report = client.post(
            f"{URL}?profile={profile}&http_status={status}", json=response.json()
        ).json()
        assert report["valid"] is True, report["errors"]
        assert report["warnings"] == []
        assert report["matched"]["slug"] == response.json()["error"]["slug"]


def test_errcats_own_validation_errors_pass_its_validator(client):
    # 413 and 415 have no code on the page: valid, with a warning naming the HTTP range.
    for response in (
        client.post(URL, content=b"{}", headers={"content-type": "text/plain"}),
        client.post(URL, content=b"[" * 2_000_000, headers=JSON),
    ):
        report = client.post(
            f"{URL}?profile=strict&http_status={response.status_code}", json=response.json()
        ).json()
        assert report["valid"] is True, report["errors"]
        assert [w["rule"] for w in report["warnings"]] == ["catalogue.code_undocumented"]


def test_openapi_documents_request_report_and_errors(client):
    schema = client.get("/schema/openapi.json").json()
    for path, report in ((URL, "EnvelopeReport"), (BATCH, "BatchReport")):
        operation = schema["paths"][path]["post"]
        body = operation["requestBody"]
        assert body["required"] is True
        assert "application/json" in body["content"]
        ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok == {"$ref": f"#/components/schemas/{report}"}
        for status in ("400", "413", "415"):
            error = operation["responses"][status]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/ErrorEnvelope"}
        assert {p["name"] for p in operation["parameters"]} >= {"profile"}
    accepted = schema["paths"][URL]["post"]["requestBody"]["content"]["application/json"]["schema"]
    # Any JSON is accepted (and reported on); the first alternative documents a valid envelope.
    single, anything = accepted["anyOf"]
    assert "type" not in anything
    assert single["required"] == ["error"]
    assert set(single["properties"]["error"]["properties"]) == {
        "message",
        "code",
        "slug",
        "status",
        "request_id",
        "suggested_fix",
        "errors",
    }
    batch = schema["paths"][BATCH]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert batch["type"] == "array" and batch["maxItems"] == MAX_BATCH
    components = schema["components"]["schemas"]
    assert {"EnvelopeFinding", "EnvelopeReport", "BatchReport"} <= set(components)
    items = components["EnvelopeReport"]["properties"]["errors"]["items"]
    assert items == {"$ref": "#/components/schemas/EnvelopeFinding"}


def test_a_member_named_twice_is_reported(client):
    raw = b'{"error": {"message": "m", "code": "a", "code": 1205, "status": 422}}'
    report = client.post(URL, content=raw, headers=JSON).json()
    assert report["valid"] is True
    assert ("/error/code", "shape.duplicate_member") in findings(report["warnings"])
    strict = client.post(f"{URL}?profile=strict", content=raw, headers=JSON).json()
    assert ("/error/code", "shape.duplicate_member") in findings(strict["errors"])
