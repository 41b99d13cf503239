"""Behaviour that depends on configuration: CORS origins and the rate limit."""

from __future__ import annotations

import json

from litestar.testing import TestClient

from app.main import create_app
from tests.envelope_assertions import assert_envelope


def test_cors_allows_only_configured_origins(seeded_db):
    app = create_app(seeded_db.settings(cors_origins=("https://dash.example",)))
    with TestClient(app=app) as client:
        ok = client.get("/codes/1205", headers={"Origin": "https://dash.example"})
        assert ok.headers["access-control-allow-origin"] == "https://dash.example"
        preflight = client.options(
            "/codes/1205",
            headers={"Origin": "https://dash.example", "Access-Control-Request-Method": "GET"},
        )
        assert preflight.status_code in (200, 204)
        other = client.get("/codes/1205", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_cors_exposes_the_request_id_and_etag_to_browsers(seeded_db):
    app = create_app(seeded_db.settings(cors_origins=("https://dash.example",)))
    with TestClient(app=app) as client:
        response = client.get("/codes/1205", headers={"Origin": "https://dash.example"})
        exposed = {
            h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")
        }
        assert {"x-request-id", "etag"} <= exposed
        assert response.headers["etag"] and response.headers["x-request-id"]


def test_no_cors_by_default(client):
    response = client.get("/codes/1205", headers={"Origin": "https://dash.example"})
    assert "access-control-allow-origin" not in response.headers


def test_rate_limit_answers_429_in_the_envelope(seeded_db):
    app = create_app(seeded_db.settings(rate_limit=("minute", 3)))
    with TestClient(app=app) as client:
        assert [client.get("/codes/1205").status_code for _ in range(3)] == [200, 200, 200]
        error = assert_envelope(client.get("/codes/1205"), 429, 10429, "HTTP_TooManyRequests")
        assert error["message"]
        assert client.get("/health").status_code == 200  # liveness is never limited


def test_access_log_is_one_json_line_per_request_with_its_id(seeded_db, capsys):
    app = create_app(seeded_db.settings(access_log=True))
    with TestClient(app=app) as client:
        client.get("/codes/1205", headers={"X-Request-ID": "trace-access-1"})
    lines = [
        json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")
    ]
    (line,) = [x for x in lines if x.get("logger") == "errcat.access"]
    assert line["request_id"] == "trace-access-1"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/codes/1205", 200)
    assert line["level"] == "info" and line["duration_ms"] >= 0


def test_no_access_log_by_default(client, capsys):
    client.get("/codes/1205")
    assert "errcat.access" not in capsys.readouterr().err
