"""Bearer-token checks for the operator-only routes (GET /metrics, POST /observations)."""

from __future__ import annotations

import hmac
from typing import Any

from litestar import Request

from app.api.errors import CatalogueError


def check_bearer(
    request: Request[Any, Any, Any], token: str, route: str, variable: str, *, realm: str
) -> None:
    """401 in the envelope unless ``Authorization: Bearer <token>`` (compared in constant time);
    RFC 6750's ``error="invalid_token"`` when a token was sent but is not this one."""
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise CatalogueError(
            401,
            f"{route} needs the operator's bearer token",
            suggested_fix=f"Send Authorization: Bearer <{variable}>.",
            headers={"WWW-Authenticate": f'Bearer realm="{realm}"'},
        )
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise CatalogueError(
            401,
            f"The bearer token sent to {route} is not this errcat's {variable}",
            suggested_fix=f"Send Authorization: Bearer <{variable}> with the service's token.",
            headers={"WWW-Authenticate": f'Bearer realm="{realm}", error="invalid_token"'},
        )
