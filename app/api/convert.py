"""POST /convert/problem-details and POST /convert/envelope: the platform's error envelope and
RFC 9457 problem details, each turned into the other (app.catalogue.problem and
docs/problem-details.md)."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Router, post
from litestar.openapi.spec import (
    Example,
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
)

from app.api.bodies import documented_body, read_body, require_media_type
from app.api.common import error_responses
from app.api.envelopes import ENVELOPE_SCHEMA
from app.catalogue.jsondoc import decode_json
from app.catalogue.model import MAX_CODE
from app.catalogue.problem import (
    CODE_PAGE_PATTERN,
    PROBLEM_MEDIA_TYPE,
    PlatformEnvelope,
    ProblemDetails,
    envelope_to_problem,
    problem_to_envelope,
)
from app.live import LiveCatalogue

_ENVELOPE_EXAMPLE = {
    "error": {
        "message": "Authentication refresh required",
        "code": 1205,
        "slug": "TriggerInstance_AuthRefreshRequired",
        "status": 422,
        "request_id": "req_abc123",
    }
}
_PROBLEM_EXAMPLE = {
    "type": "https://errcat.example/codes/1205",
    "title": "AuthRefreshRequired",
    "status": 422,
    "detail": "Authentication refresh required",
    "instance": "urn:request:req_abc123",
    "code": 1205,
}
_TEXT = Schema(type=OpenAPIType.STRING, min_length=1)
_PROBLEM_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    title="ProblemDetailsToConvert",
    description=(
        "RFC 9457 problem details. `status` is required and `detail` (else `title`) gives the "
        "message; the code is the `code` member, else the number ending `type` "
        "(`.../codes/1205`); `slug`, `request_id`, `suggested_fix` and `errors` are read as "
        "extension members. Without `slug`, the catalogue's entry for the code and status gives "
        "it (404 when none does)."
    ),
    required=["status"],
    properties={
        "type": Schema(type=OpenAPIType.STRING),
        "title": _TEXT,
        "status": Schema(type=OpenAPIType.INTEGER, minimum=100, maximum=599),
        "detail": _TEXT,
        "instance": Schema(type=OpenAPIType.STRING),
        "code": Schema(type=OpenAPIType.INTEGER, minimum=0, maximum=MAX_CODE),
        "slug": Schema(type=OpenAPIType.STRING),
        "request_id": Schema(type=OpenAPIType.STRING),
        "suggested_fix": Schema(type=OpenAPIType.STRING),
        "errors": Schema(type=OpenAPIType.ARRAY, items=Schema(type=OpenAPIType.STRING)),
    },
    all_of=[
        Schema(any_of=[Schema(required=["detail"]), Schema(required=["title"])]),
        Schema(
            any_of=[
                Schema(required=["code"]),
                Schema(
                    required=["type"],
                    properties={"type": Schema(type=OpenAPIType.STRING, pattern=CODE_PAGE_PATTERN)},
                ),
            ]
        ),
    ],
)


def _body(schema: Schema, example: Any, media_type: str) -> type[Operation]:
    return documented_body(
        RequestBody(
            required=True,
            content={
                media_type: OpenAPIMediaType(
                    schema=schema, examples={"body": Example(value=example)}
                )
            },
        )
    )


async def _read(request: Request[Any, Any, Any], accepted: str) -> Any:
    require_media_type(request, accepted)
    return decode_json(await read_body(request, what="body"))


def build_router(live: LiveCatalogue) -> Router:
    @post(
        "/convert/problem-details",
        status_code=200,
        media_type=PROBLEM_MEDIA_TYPE,
        summary="Turn a platform error envelope into RFC 9457 problem details",
        description=(
            "`type` is the code's page on this host, `title` the catalogue entry's name, "
            "`detail` the message, `instance` the request id as `urn:request:<id>`; the "
            "envelope's fields stay as extension members. A body without `message`, `code` or "
            "`status` (or with one of the wrong type) is a 400 naming each."
        ),
        responses=error_responses(400, 413, 415),
        operation_class=_body(ENVELOPE_SCHEMA, _ENVELOPE_EXAMPLE, "application/json"),
    )
    async def convert_to_problem_details(request: Request[Any, Any, Any]) -> ProblemDetails:
        value = await _read(request, "application/json or a +json type")
        return envelope_to_problem(live.snapshot, value, str(request.base_url))

    @post(
        "/convert/envelope",
        status_code=200,
        media_type=MediaType.JSON,
        summary="Turn RFC 9457 problem details into a platform error envelope",
        description=(
            "The reverse of POST /convert/problem-details: the code comes from the `code` "
            "member or the number ending `type`, the slug from `slug` or the catalogue, the "
            "request id from `request_id` or `instance`. A body without `status`, a message "
            "(`detail` or `title`) or a code is a 400 naming each."
        ),
        responses=error_responses(400, 404, 413, 415),
        operation_class=_body(_PROBLEM_SCHEMA, _PROBLEM_EXAMPLE, PROBLEM_MEDIA_TYPE),
    )
    async def convert_to_envelope(request: Request[Any, Any, Any]) -> PlatformEnvelope:
        value = await _read(request, "application/problem+json or application/json")
        return problem_to_envelope(live.snapshot, value)

    return Router(
        path="/",
        route_handlers=[convert_to_problem_details, convert_to_envelope],
        tags=["envelopes"],
    )
