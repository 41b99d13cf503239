"""POST /decode and the codes filters through the real app, on both databases."""

from __future__ import annotations

import json

import pytest

from app.catalogue.extract import MAX_INPUT_BYTES
from tests.envelope_assertions import assert_envelope

URL = "/decode"
TEXT = {"content-type": "text/plain"}
JSON = {"content-type": "application/json"}


def test_a_json_envelope(client):
    body = {
        "error": {
            "message": "Tool not found",
            "code": 2401,
            "slug": "Tool_ToolNotFound",
            "status": 404,
            "request_id": "req_9",
        }
    }
    response = client.post(URL, json=body)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["shape"] == "platform_envelope"
    assert report["extracted"] == {
        "code": 2401,
        "slug": "Tool_ToolNotFound",
        "status": 404,
        "message": "Tool not found",
        "request_id": "req_9",
        "suggested_fix": None,
    }
    assert report["confidence"] == "exact"
    assert [e["slug"] for e in report["matches"]] == ["Tool_ToolNotFound"]
    assert report["matches"][0]["action"] == "not_found"
    assert (report["action"], report["retryable"], report["guidance_from"]) == (
        "not_found",
        False,
        "entry",
    )
    assert report["disagreement"] is None


def test_the_edge_rate_limiter_body(client):
    response = client.post(
        URL, content=b'{"code": 10429, "slug": "HTTP_TooManyRequests"}', headers=JSON
    )
    report = response.json()
    assert (report["shape"], report["confidence"], report["action"], report["retryable"]) == (
        "unwrapped",
        "exact",
        "retry_later",
        True,
    )


@pytest.mark.parametrize(
    ("body", "shape", "confidence", "action"),
    [
        (
            '502 Bad Gateway: {"error": {"message": "Upstream failed", "code": 10502}}',
            "embedded_json",
            "code",
            "retry",
        ),
        (
            "{'error': {'code': 1201, 'message': 'x', 'request_id': None}}",
            "python_repr",
            "code",
            "retry",
        ),
        ("ToolRouterV2_NoActiveConnection: no active connection", "text", "none", None),
        (
            '{"error": {"code": 2401, "slug": "Tool_ToolNotFound", "status": 40',
            "truncated",
            "exact",
            "not_found",
        ),
    ],
)
def test_text_bodies(client, body, shape, confidence, action):
    response = client.post(URL, content=body.encode(), headers=TEXT)
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["shape"], report["confidence"], report["action"]) == (shape, confidence, action)


def test_a_charset_is_honoured(client):
    body = "Tool_ToolNotFound: Werkzeug für Ärger".encode("latin-1")
    response = client.post(
        URL, content=body, headers={"content-type": "text/plain; charset=latin-1"}
    )
    report = response.json()
    assert report["extracted"]["message"] == "Werkzeug für Ärger"
    assert report["confidence"] == "text"


@pytest.mark.parametrize(
    ("charset", "confidence"),
    [("rot13", "text"), ("no-such-charset", "text"), ("utf-16", "none")],  # the first two: UTF-8
)
def test_an_odd_charset_is_no_error(client, charset, confidence):
    headers = {"content-type": f"text/plain; charset={charset}"}
    response = client.post(URL, content=b"HTTP_TooManyRequests: x\xff", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["confidence"] == confidence


def test_garbage_is_answered_with_confidence_none(client):
    for body in (b"\xff\xfe\x00garbage{{{'\"\\", b"", b"[1, 2, 3]", b"null"):
        response = client.post(URL, content=body, headers=TEXT)
        assert response.status_code == 200, response.text
        report = response.json()
        assert report["confidence"] == "none" and report["matches"] == []
        assert report["action"] is None
    invalid_json = client.post(URL, content=b'{"error": ', headers=JSON)
    assert invalid_json.status_code == 200 and invalid_json.json()["shape"] == "truncated"


def test_a_lone_surrogate_spelt_in_a_printed_dict_is_answered(client):
    # '\\ud800' in a printed dict (ast.literal_eval) or in a salvaged JSON string (json.loads)
    # reads as a lone surrogate, which no UTF-8 answer can carry.
    for body in (
        b"{'error': 'gone \\ud800'}",
        b'x {"code": 1201, "message": "gone \\ud800", "at": f()}',
    ):
        response = client.post(URL, content=body, headers=TEXT)
        assert response.status_code == 200, response.text
        assert response.json()["extracted"]["message"] == "gone \ufffd"


def test_a_status_inside_a_longer_number_is_not_read(client):
    report = client.post(URL, content=b"request failed: HTTP 2401", headers=TEXT).json()
    assert report["extracted"]["status"] is None and report["action"] is None


def test_oversize_is_413_in_the_envelope(client):
    response = client.post(URL, content=b"x" * (MAX_INPUT_BYTES + 1), headers=TEXT)
    error = assert_envelope(response, 413)
    assert str(MAX_INPUT_BYTES) in error["message"]
    at_limit = client.post(URL, content=b"x" * MAX_INPUT_BYTES, headers=TEXT)
    assert at_limit.status_code == 200


@pytest.mark.parametrize(
    "headers",
    [{"content-type": "application/x-www-form-urlencoded"}, {"content-type": "image/png"}, {}],
)
def test_wrong_content_type_is_415(client, headers):
    response = client.post(URL, content=b'{"code": 10429}', headers=headers)
    error = assert_envelope(response, 415)
    assert "text/plain" in error["message"]


def test_openapi_documents_decode_with_examples(client):
    schema = client.get("/schema/openapi.json").json()
    operation = schema["paths"]["/decode"]["post"]
    content = operation["requestBody"]["content"]
    assert set(content) == {"application/json", "text/plain"}
    assert content["text/plain"]["examples"] and content["application/json"]["examples"]
    assert {"200", "413", "415"} <= set(operation["responses"])
    report_schema = json.dumps(operation["responses"]["200"])
    assert "DecodeReport" in report_schema


def test_codes_filter_by_action_and_retryable(client):
    limited = client.get("/codes", params={"action": "retry_later"}).json()
    assert [i["slug"] for i in limited["items"]] == ["HTTP_TooManyRequests"]
    assert limited["items"][0]["retryable"] is True
    retryable = client.get("/codes", params={"retryable": "true", "limit": 500}).json()
    assert retryable["total"] > 0 and all(i["retryable"] for i in retryable["items"])
    none = client.get("/codes", params={"action": "reconnect_account"}).json()
    assert none["total"] == 0  # no entry says so today
    everything = client.get("/codes", params={"action": "", "retryable": ""}).json()
    assert everything["total"] == client.get("/codes").json()["total"]


@pytest.mark.parametrize(("field", "value"), [("action", "reboot"), ("retryable", "maybe")])
def test_bad_filter_values_are_400_naming_the_field(client, field, value):
    error = assert_envelope(client.get("/codes", params={field: value}), 400)
    assert field in error["message"]
    assert error["errors"] and error["errors"][0].startswith(f"{field}:")


def test_guidance_appears_wherever_entries_do(client):
    section = client.get("/services/HTTP").json()
    assert all({"action", "retryable"} <= set(e) for e in section["entries"])
    resolved = client.get("/ranges/resolve", params={"code": 2401}).json()
    found = json.dumps(resolved)
    assert '"action"' in found and '"retryable"' in found


def test_errcat_decode_against_the_stored_catalogue(seeded_db, monkeypatch, capsys):
    import io

    from app.cli import main

    monkeypatch.setenv("DATABASE_URL", seeded_db.url)
    body = b"Error code: 404 - {'error': {'code': 2401, 'slug': 'Tool_ToolNotFound'}}"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(body)))
    assert main(["decode"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["shape"], report["confidence"], report["extracted"]["status"]) == (
        "embedded_python_repr",
        "exact",
        404,
    )
