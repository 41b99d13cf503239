"""errcat's own error envelope on the wire: its Structs and their OpenAPI descriptions.

Built from the one table of envelope fields (``app.catalogue.envelope_fields``). Neutral ground:
``app.api`` renders errors with it and ``app.observability``'s metrics route documents them,
without either importing the other.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example

from app.catalogue.envelope_fields import ENVELOPE_FIELDS
from app.catalogue.model import Snapshot
from app.catalogue.query import http_error_identity, undocumented_http_identity

_PYTHON_TYPE: dict[str, Any] = {"string": str, "integer": int, "array": list[str]}

# Every field is always sent: errcat's own errors satisfy both descriptions (an array defaults
# to empty).
ErrorBody = msgspec.defstruct(
    "ErrorBody",
    [
        (f.name, _PYTHON_TYPE[f.type], msgspec.field(default_factory=list))
        if f.type == "array"
        else (f.name, _PYTHON_TYPE[f.type])
        for f in ENVELOPE_FIELDS
    ],
    module=__name__,
)


class ErrorEnvelope(msgspec.Struct):
    error: ErrorBody  # type: ignore[valid-type]


def error_envelope(
    snapshot: Snapshot | None,
    status: int,
    message: str,
    request_id: str,
    suggested_fix: str,
    errors: list[str] | None = None,
    prefer: str | None = None,
) -> ErrorEnvelope:
    """errcat's envelope for an error: ``code``/``slug`` from the page's HTTP section (the rule
    for statuses it has no code for before a catalogue is loaded). The one builder: the API's
    errors, the HTTP server's own answers and ``errcat lookup --json`` all use it."""
    if snapshot is not None:
        code, slug = http_error_identity(snapshot, status, prefer)
    else:
        code, slug = undocumented_http_identity(status)
    body = ErrorBody(
        message=message,
        code=code,
        slug=slug,
        status=status,
        request_id=request_id,
        suggested_fix=suggested_fix,
        errors=errors or [],
    )
    return ErrorEnvelope(error=body)


# The (code, slug) errcat's own errors carry per status, for the documentation's examples; a
# unit test checks them against query.http_error_identity on the seeded catalogue.
EXAMPLE_IDENTITIES: dict[int, tuple[int, str]] = {
    400: (10400, "HTTP_BadRequest"),
    401: (10401, "HTTP_Unauthorized"),
    404: (10424, "HTTP_ResourceNotFound"),
    405: (10405, "HTTP_MethodNotAllowed"),
    413: (10413, "HTTP_RequestEntityTooLarge"),
    415: (10415, "HTTP_UnsupportedMediaType"),
    429: (10429, "HTTP_TooManyRequests"),
    500: (10500, "HTTP_InternalServerError"),
    503: (10503, "HTTP_ServiceUnavailable"),
}

# The example values of the fields that do not depend on the status.
_EXAMPLE_VALUES: dict[str, Any] = {
    "request_id": "req_3f2a9c1e5b7d4a60c2e8f1b3",
    "suggested_fix": "What to change before retrying",
    "errors": [],
}


def _example(status: int) -> Example:
    phrase = HTTPStatus(status).phrase
    code, slug = EXAMPLE_IDENTITIES[status]
    values = {"message": phrase, "code": code, "slug": slug, "status": status, **_EXAMPLE_VALUES}
    return Example(
        summary=phrase, value={"error": {f.name: values[f.name] for f in ENVELOPE_FIELDS}}
    )


def error_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI descriptions of the envelope for the statuses a route can answer with."""
    everywhere = (405, 429, 500, 503)
    return {
        status: ResponseSpec(
            data_container=ErrorEnvelope,
            generate_examples=False,  # ours below; generated ones show impossible statuses
            description=f"{HTTPStatus(status).phrase}, in the catalogue's error envelope",
            examples=[_example(status)],
        )
        for status in sorted({*statuses, *everywhere})
    }
