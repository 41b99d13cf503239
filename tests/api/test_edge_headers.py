"""nosniff on every answer the application gives, whatever produced it (see app.edge)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/codes/1205", 200),
        ("GET", "/no/such/path", 404),
        ("DELETE", "/codes/1205", 405),
        ("GET", "/codes/abc", 400),
        ("GET", "/metrics", 200),
        ("GET", "/schema/openapi.json", 200),
        ("HEAD", "/codes/1205", 200),
    ],
)
def test_nosniff_on_every_answer(client, method, path, status):
    response = client.request(method, path)
    assert response.status_code == status
    assert response.headers.get_list("x-content-type-options") == ["nosniff"]
    assert "server" not in response.headers


def test_nosniff_on_304(client):
    etag = client.get("/codes/1205").headers["etag"]
    response = client.get("/codes/1205", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.headers.get_list("x-content-type-options") == ["nosniff"]
