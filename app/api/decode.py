"""POST /decode: any error body (JSON, a Python dict as printed, a log line, text) -> the
catalogue entries it names, how sure that is, and what to do. The logic is app.catalogue.decode.

The handler reads the raw body itself: any JSON and any text are accepted and reported on, so
Litestar must not parse or validate it; the OpenAPI request body is ``_DECODE_BODY``.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, post
from litestar.openapi.spec import (
    Example,
    OpenAPIMediaType,
    OpenAPIType,
    Reference,
    RequestBody,
    Schema,
)

from app.api.bodies import documented_body, read_body, require_media_type, too_large
from app.api.common import error_responses
from app.catalogue.decode import MAX_INPUT_BYTES, DecodeReport, InputTooLarge, decode
from app.live import LiveCatalogue

_TEXT_EXAMPLES: dict[str, Example | Reference] = {
    "gateway": Example(
        summary="JSON inside a gateway's text",
        value='502 Bad Gateway: {"error": {"message": "Upstream failed", "code": 10502}}',
    ),
    "python": Example(
        summary="A Python dict from a log",
        value="{'error': {'code': 1201, 'message': 'Trigger failed', 'request_id': None}}",
    ),
    "exception": Example(
        summary="An exception string with only a slug",
        value="ToolRouterV2_NoActiveConnection: no active connection",
    ),
}
_JSON_EXAMPLES: dict[str, Example | Reference] = {
    "envelope": Example(
        summary="The platform's envelope",
        value={
            "error": {
                "message": "Tool not found",
                "code": 2401,
                "slug": "Tool_ToolNotFound",
                "status": 404,
                "request_id": "req_abc123",
            }
        },
    ),
    "edge": Example(
        summary="An edge rate limiter's body",
        value={"code": 10429, "slug": "HTTP_TooManyRequests"},
    ),
}


_DECODE_BODY = RequestBody(
    required=True,
    description=(
        f"One error body as received, at most {MAX_INPUT_BYTES} bytes: any JSON as "
        "application/json, anything else (a log line, a printed Python dict, a "
        "gateway's text) as text/plain."
    ),
    content={
        "application/json": OpenAPIMediaType(
            schema=Schema(description="Any JSON value"), examples=_JSON_EXAMPLES
        ),
        "text/plain": OpenAPIMediaType(
            schema=Schema(type=OpenAPIType.STRING, max_length=MAX_INPUT_BYTES),
            examples=_TEXT_EXAMPLES,
        ),
    },
)


async def _read_text(request: Request[Any, Any, Any]) -> str | bytes:
    require_media_type(request, "application/json or text/plain", text_plain=True)
    raw = await read_body(request, MAX_INPUT_BYTES, what="body to decode")
    charset = request.content_type[1].get("charset", "utf-8")
    try:  # an unknown charset, or a codec that is not a text encoding (rot13): read as UTF-8
        return raw.decode(charset, "replace")
    except LookupError:
        return raw.decode("utf-8", "replace")


def build_router(live: LiveCatalogue) -> Router:
    @post(
        "/decode",
        status_code=200,
        request_max_body_size=MAX_INPUT_BYTES,
        summary="Decode any error body: its catalogue entries, confidence and what to do",
        description=(
            "Answers 200 for any JSON or text: the `shape` recognised (an envelope variant, a "
            "Python dict, JSON inside text, a cut log line, free text), the `extracted` fields, "
            "the `matches` with `confidence` (exact, slug, code, text, none), a `disagreement` "
            "when code and slug name different entries, and `action`/`retryable` "
            "(docs/guidance.md). Rules: docs/decode.md."
        ),
        responses=error_responses(413, 415),
        operation_class=documented_body(_DECODE_BODY),
    )
    async def decode_body(request: Request[Any, Any, Any]) -> DecodeReport:
        text = await _read_text(request)
        try:
            return decode(live.snapshot, text)
        except InputTooLarge as exc:  # more characters than bytes cannot happen; kept total
            raise too_large(MAX_INPUT_BYTES, "body to decode", exc.size) from None

    return Router(path="/", route_handlers=[decode_body], tags=["decode"])
