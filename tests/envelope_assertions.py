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


# A well-formed envelope of a documented code (1205), for the validator's tests.
GOOD_ENVELOPE = {
    "error": {
        "message": "Authentication refresh required",
        "code": 1205,
        "slug": "TriggerInstance_AuthRefreshRequired",
        "status": 422,
        "request_id": "req_7d1c0a9e4b2f",
    }
}
