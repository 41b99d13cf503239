"""The one check of errcat's own error envelope, shared by the HTTP tests."""

from __future__ import annotations


def assert_envelope(response, status, code=None, slug=None):
    """The answer is errcat's error envelope for ``status``; returns its ``error`` object."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["status"] == status
    if code is not None:
        assert error["code"] == code
    if slug is not None:
        assert error["slug"] == slug
    assert error["message"]
    assert error["suggested_fix"]
    assert error["request_id"] == response.headers["x-request-id"]
    assert isinstance(error["errors"], list)
    return error
