"""The request id: a safe incoming X-Request-ID, else a new ``req_...``; fixed per request.

A neutral module: the error envelope (``app.api.errors``) and the access log
(``app.observability``) both need it, and neither should import the other for it.
"""

from __future__ import annotations

from random import getrandbits

from litestar.types import Scope

REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID_HEADER = REQUEST_ID_HEADER.encode()
_SAFE_REQUEST_ID_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-"
MAX_REQUEST_ID = 128


def is_safe_request_id(value: bytes) -> bool:
    """1 to 128 of ``A-Za-z0-9._:-``: one C-level pass (``bytes.translate`` deletes the allowed
    bytes; anything left is not), no pattern over the client's header at all."""
    return 0 < len(value) <= MAX_REQUEST_ID and not value.translate(None, _SAFE_REQUEST_ID_BYTES)


def new_request_id() -> str:
    """``req_`` and 24 hex digits. An id correlates log lines and answers, it guards nothing:
    ``random`` (reseeded in every forked worker) rather than ``secrets``, whose system call per
    request was a measurable share of a cached answer's cost (docs/performance.md)."""
    return f"req_{getrandbits(96):024x}"


def request_id(scope: Scope) -> str:
    """The request's id: a safe incoming X-Request-ID, else a new ``req_...``; fixed per request."""
    state = scope.setdefault("state", {})
    rid = state.get("request_id")
    if rid is None:
        for name, value in scope.get("headers", ()):
            if name == _REQUEST_ID_HEADER:
                rid = value.decode("ascii") if is_safe_request_id(value) else None
                break
        if rid is None:
            rid = new_request_id()
        state["request_id"] = rid
    return rid
