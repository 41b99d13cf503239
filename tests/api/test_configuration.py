"""Behaviour that depends on configuration: CORS origins and the rate limit."""

from __future__ import annotations

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
