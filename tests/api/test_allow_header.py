"""405 answers name HEAD in ``Allow`` wherever GET is allowed, since HEAD is served there."""

from __future__ import annotations

import pytest

from app.api.head import allow_with_head
from tests.envelope_assertions import assert_envelope


def _methods(response) -> list[str]:
    return [m.strip() for m in response.headers["allow"].split(",")]


@pytest.mark.parametrize(
    ("method", "path"),
    [("DELETE", "/codes/1205"), ("POST", "/health"), ("PUT", "/services"), ("PATCH", "/ranges")],
)
def test_405_on_a_get_route_lists_head(client, method, path):
    response = client.request(method, path)
    assert_envelope(response, 405, 10405, "HTTP_MethodNotAllowed")
    allowed = _methods(response)
    assert "GET" in allowed and "HEAD" in allowed
    assert allowed.count("HEAD") == 1
    # and what Allow promises holds: HEAD answers there
    assert client.head(path).status_code == 200


def test_405_on_a_post_only_route_does_not_list_head(client):
    for method in ("GET", "HEAD", "PUT"):
        response = client.request(method, "/validate-envelope")
        assert response.status_code == 405
        allowed = _methods(response)
        assert "POST" in allowed and "GET" not in allowed and "HEAD" not in allowed


def test_allow_with_head():
    assert allow_with_head(b"OPTIONS, GET") == b"OPTIONS, GET, HEAD"
    assert allow_with_head(b"GET, HEAD") == b"GET, HEAD"
    assert allow_with_head(b"POST, OPTIONS") == b"POST, OPTIONS"


def test_options_lists_every_method_of_the_path_head_included(client):
    # Litestar 2's own OPTIONS answer kept only the first method registered on a path.
    for path, allow in (
        ("/observations", "GET, HEAD, OPTIONS, POST"),
        ("/codes", "GET, HEAD, OPTIONS"),
        ("/codes/1205", "GET, HEAD, OPTIONS"),
        ("/validate-envelope", "OPTIONS, POST"),
    ):
        answer = client.options(path)
        assert answer.status_code == 204, path
        assert answer.headers["allow"] == allow, path
