"""The request id: a safe incoming X-Request-ID, else a new ``req_...``; fixed per request.

A neutral module: the error envelope (``app.api.errors``) and the access log
(``app.observability``) both need it, and neither should import the other for it.
"""

from __future__ import annotations

import re
import secrets

from litestar.types import Scope

REQUEST_ID_HEADER = "x-request-id"
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


def request_id(scope: Scope) -> str:
    """The request's id: a safe incoming X-Request-ID, else a new ``req_...``; fixed per request."""
    state = scope.setdefault("state", {})
    rid = state.get("request_id")
    if rid is None:
        incoming = next((v for k, v in scope.get("headers", ()) if k == b"x-request-id"), None)
        text = incoming.decode("latin-1") if incoming else ""
        rid = text if _SAFE_REQUEST_ID.fullmatch(text) else f"req_{secrets.token_hex(12)}"
        state["request_id"] = rid
    return rid
