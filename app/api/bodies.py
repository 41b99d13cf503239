"""Reading request bodies for the routes that take raw bodies (envelopes, bulk lookup, decode):
one rule for which media types count as JSON, one 415 and one 413 in the envelope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.exceptions import HTTPException
from litestar.openapi.spec import Operation, RequestBody

from app.api.errors import CatalogueError
from app.catalogue.text import quote


def is_json_media_type(media_type: str) -> bool:
    """``application/json`` or any ``application/...+json`` (already lower case)."""
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def require_media_type(
    request: Request[Any, Any, Any], accepted: str, *, text_plain: bool = False
) -> str:
    """The request's media type (lower case), or a 415 naming what ``accepted`` describes."""
    media_type = request.content_type[0].lower()
    if is_json_media_type(media_type) or (text_plain and media_type == "text/plain"):
        return media_type
    sent = (
        f"its Content-Type is {quote(request.headers.get('content-type', ''), as_json=True)}"
        if media_type
        else "it has no Content-Type"
    )
    raise CatalogueError(
        415,
        f"The body must be sent as {accepted}; {sent}",
        errors=[f"header Content-Type: expected {accepted}; {sent}"],
        suggested_fix=f"Send the body with Content-Type: {accepted.split(' or ')[0]}.",
    )


async def read_body(
    request: Request[Any, Any, Any], max_bytes: int | None = None, what: str = "body"
) -> bytes:
    """The raw body, or a 413 naming the limit: the route's (Litestar's request_max_body_size)
    or ``max_bytes``, whichever is passed first."""
    try:
        raw = await request.body()
    except HTTPException as exc:
        if exc.status_code != 413:
            raise
        raise too_large(request.route_handler.resolve_request_max_body_size(), what) from None
    if max_bytes is not None and len(raw) > max_bytes:
        raise too_large(max_bytes, what, len(raw))
    return raw


def too_large(limit: int | None, what: str, size: int | None = None) -> CatalogueError:
    sent = f", this one {size}" if size is not None else ""
    return CatalogueError(
        413,
        f"A {what} holds at most {limit} bytes{sent}",
        errors=[f"body: more than {limit} bytes"],
        suggested_fix=f"Send a smaller {what}.",
    )


def documented_body(request_body: RequestBody) -> type[Operation]:
    """An ``operation_class`` giving a route the OpenAPI request body Litestar cannot infer: the
    routes that read their raw body themselves (to answer every problem in errcat's words)."""

    @dataclass
    class WithBody(Operation):
        def __post_init__(self) -> None:
            self.request_body = request_body

    return WithBody
