"""POST /validate-envelope and POST /validate-envelope/batch: check error responses.

The handlers read the raw body themselves instead of declaring a typed ``data`` parameter:
Litestar would otherwise validate the body and answer 400 where the point is a report of
every problem. Because of that, Litestar cannot infer the request body for the OpenAPI
document; ``_json_body`` supplies it.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Router, post
from litestar.openapi.spec import (
    Example,
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    Reference,
    RequestBody,
    Schema,
)
from litestar.params import QueryParameter

from app.api.bodies import documented_body, read_body, require_media_type
from app.api.common import error_responses
from app.catalogue.envelope import BatchReport, EnvelopeReport, validate_envelope
from app.catalogue.envelope_batch import (
    BATCH_ITEM,
    MAX_BATCH,
    MAX_BATCH_BYTES,
    MAX_BATCH_FINDINGS,
    MAX_BATCH_ITEM_FINDINGS,
    MAX_NUMBER,
    ArrayOf,
    Bound,
    Scalar,
    batch_items,
    validate_batch,
)
from app.catalogue.envelope_fields import ENVELOPE_FIELDS, REQUIRED_BY_BOTH
from app.catalogue.jsondoc import decode_json
from app.catalogue.model import MAX_CODE, Snapshot
from app.catalogue.vocabulary import Profile
from app.live import LiveCatalogue

ProfileParam = Annotated[
    Profile,  # an enum: one shared OpenAPI component (app.catalogue.vocabulary)
    QueryParameter(
        description=(
            "lenient (default): message, code and status are required, a missing slug or "
            "request_id and unknown members are warnings. strict: all five are required and "
            "unknown members are errors."
        ),
    ),
]
HttpStatusParam = Annotated[
    int | None,
    QueryParameter(
        ge=100,
        le=599,
        description="The status line the envelope was sent with; `error.status` must equal it",
    ),
]


def lenient_report(snap: Snapshot, body: bytes) -> EnvelopeReport:
    """POST /validate-envelope's report on a JSON body sent with no query (app.api.hot_posts)."""
    return validate_envelope(snap, decode_json(body), profile=Profile.lenient.value)


async def read_json(
    request: Request[Any, Any, Any], max_bytes: int | None = None, what: str = "body"
) -> Any:
    """The body decoded to plain values: 415 unless sent as JSON, 413 over the app's body limit
    or ``max_bytes``, and a BodyError (400) when empty, not JSON or nested too deeply."""
    require_media_type(request, "application/json or a +json type")
    return decode_json(await read_body(request, max_bytes, what))


# --- OpenAPI: the request body a raw-body handler cannot declare ------------------------------

_TYPE_SCHEMA: dict[str, dict[str, Any]] = {
    "string": {"type": OpenAPIType.STRING},
    "integer": {"type": OpenAPIType.INTEGER},
    "array": {"type": OpenAPIType.ARRAY, "items": Schema(type=OpenAPIType.STRING)},
}
# What the schema says of a field beyond its type.
_FIELD_NOTES: dict[str, dict[str, Any]] = {
    "message": {"min_length": 1, "description": "Human-readable"},
    "code": {"minimum": 0, "maximum": MAX_CODE, "description": "Catalogue code, e.g. 1205"},
    "slug": {"description": "<Service>_<Name>; OpenAPI: required"},
    "status": {"minimum": 100, "maximum": 599},
    "request_id": {"description": "The page: required"},
}
_FIELD_SCHEMAS: dict[str, Schema | Reference] = {
    f.name: Schema(**_TYPE_SCHEMA[f.type], **_FIELD_NOTES.get(f.name, {})) for f in ENVELOPE_FIELDS
}
ENVELOPE_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    title="ErrorEnvelopeToCheck",
    description=(
        "An error response as an API sent it. Any JSON is accepted and reported on; this is "
        "the shape a valid one has (the page's and the Platform API's descriptions combined)."
    ),
    required=["error"],
    properties={
        "error": Schema(
            type=OpenAPIType.OBJECT,
            required=list(REQUIRED_BY_BOTH),
            properties=_FIELD_SCHEMAS,
        )
    },
)
# What the handler accepts: any JSON value, since reporting on a malformed envelope is the
# point; the shape above documents what a valid one looks like.
ANY_ENVELOPE = Schema(
    any_of=[ENVELOPE_SCHEMA, Schema(description="Any other JSON value: reported on, not refused")]
)
_SCALAR_TYPES = [OpenAPIType.STRING, OpenAPIType.NUMBER, OpenAPIType.BOOLEAN, OpenAPIType.NULL]


def bound_schema(bound: Bound) -> Schema:
    """A batch bound (app.catalogue.envelope_batch) as the JSON Schema the route enforces."""
    scalar = bound if isinstance(bound, Scalar) else bound.scalar
    scalar_schema = Schema(
        type=_SCALAR_TYPES, max_length=scalar.max_length, minimum=-MAX_NUMBER, maximum=MAX_NUMBER
    )
    if isinstance(bound, Scalar):
        return scalar_schema
    if isinstance(bound, ArrayOf):
        container = Schema(
            type=OpenAPIType.ARRAY, max_items=bound.max_items, items=bound_schema(bound.items)
        )
    else:
        container = Schema(
            type=OpenAPIType.OBJECT,
            max_properties=bound.max_members,
            property_names=Schema(max_length=bound.max_name),
            properties={key: bound_schema(value) for key, value in bound.known.items()},
            additional_properties=bound_schema(bound.other),
        )
    return Schema(any_of=[container, scalar_schema])


BATCH_SCHEMA = Schema(
    type=OpenAPIType.ARRAY,
    max_items=MAX_BATCH,
    items=bound_schema(BATCH_ITEM),
    description=(
        "Error envelopes (or scalars, reported as not envelopes), each within the bounds "
        "below: every body this schema allows fits the route's byte limit. A larger envelope "
        "goes to POST /validate-envelope alone."
    ),
)
_EXAMPLE = {
    "error": {
        "message": "Authentication refresh required",
        "code": 1205,
        "slug": "TriggerInstance_AuthRefreshRequired",
        "status": 422,
        "request_id": "req_abc123",
    }
}


def _json_body(schema: Schema, example: Any, description: str) -> type[Operation]:
    return documented_body(
        RequestBody(
            required=True,
            description=description,
            content={
                "application/json": OpenAPIMediaType(
                    schema=schema, examples={"envelope": Example(value=example)}
                )
            },
        )
    )


def build_router(live: LiveCatalogue) -> Router:
    @post(
        "/validate-envelope",
        status_code=200,
        summary="Check one error envelope against both descriptions and the catalogue",
        description=(
            "Answers 200 with a report for any JSON body: every problem at once, each with a "
            "JSON Pointer `path`, a stable `rule` and a `message`; `entries` are the code's "
            "catalogue entries and `matched` the one the envelope designates. Rules: "
            "docs/envelope-validation.md."
        ),
        responses=error_responses(400, 413, 415),
        operation_class=_json_body(ANY_ENVELOPE, _EXAMPLE, "One error envelope, as JSON"),
    )
    async def validate(
        request: Request[Any, Any, Any],
        profile: ProfileParam = Profile.lenient,
        http_status: HttpStatusParam = None,
    ) -> EnvelopeReport:
        value = await read_json(request)
        return validate_envelope(
            live.snapshot, value, profile=profile.value, http_status=http_status
        )

    @post(
        "/validate-envelope/batch",
        status_code=200,
        summary="Check many error envelopes: one report each, in order, with totals",
        description=(
            f"The body is a JSON array of at most {MAX_BATCH} envelopes, each within the "
            "bounds the schema states (strings, member names, arrays and numbers; 400 "
            f"beyond), so at most {MAX_BATCH_BYTES} bytes (413 beyond); each element gets the "
            "report POST /validate-envelope would give it (without `http_status`). The answer "
            "lists at most "
            f"{MAX_BATCH_ITEM_FINDINGS} findings per envelope and {MAX_BATCH_FINDINGS} in all "
            "(errors first); `truncated` lists the envelopes whose findings were cut and "
            "`omitted` counts the findings left out. `valid` and the totals count everything."
        ),
        responses=error_responses(400, 413, 415),
        operation_class=_json_body(
            BATCH_SCHEMA,
            [_EXAMPLE],
            f"A JSON array of at most {MAX_BATCH} error envelopes ({MAX_BATCH_BYTES} bytes)",
        ),
        # Its own limit, above the largest body the schema allows, whatever MAX_BODY_BYTES says.
        request_max_body_size=MAX_BATCH_BYTES,
    )
    async def validate_many(
        request: Request[Any, Any, Any],
        profile: ProfileParam = Profile.lenient,
    ) -> BatchReport:
        items = batch_items(await read_json(request, MAX_BATCH_BYTES, "batch body"))
        return validate_batch(live.snapshot, items, profile=profile.value)

    return Router(path="/", route_handlers=[validate, validate_many], tags=["envelopes"])
