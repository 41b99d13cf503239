"""Bearer-token checks for the operator-only routes (metrics, ingestion)."""

from __future__ import annotations

import hmac
from typing import Any

from litestar import Request

from app.api.errors import CatalogueError


def check_bearer(
    request: Request[Any, Any, Any], token: str, route: str, variable: str, *, realm: str
) -> None:
    """401 in the envelope unless ``Authorization: Bearer <token>`` (compared in constant time)."""
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), token.encode()
    ):
        raise CatalogueError(
            401,
            f"{route} needs the operator's bearer token",
            suggested_fix=f"Send Authorization: Bearer <{variable}>.",
            headers={"WWW-Authenticate": f'Bearer realm="{realm}"'},
        )
