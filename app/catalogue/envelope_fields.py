"""The error envelope's fields, declared once: every other description of them derives from here.

Two published descriptions of the envelope exist: the catalogue page's and the Platform API
v3.1 OpenAPI ``Error`` schema. ``ENVELOPE_FIELDS`` is the union of the two, in the OpenAPI's
order, with what each requires. From it come: the Platform API's description as the validator
reads it (``PLATFORM_OPENAPI_ERROR``), errcat's own error body (``app.error_envelope.ErrorBody``)
and its OpenAPI examples, and the request-body schema of POST /validate-envelope.

The page's description is also data of the seed (``CatalogueDocument.envelope``, transcribed as
printed, versioned and diffed); the validator reads the page's part from the loaded catalogue so
that a new revision of the page takes effect. The ``page`` column here is the page as errcat
itself was built against; a unit test holds it equal to the seed.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from app.catalogue.model import EnvelopeFieldDoc

FieldType = Literal["string", "integer", "array"]


class EnvelopeField(msgspec.Struct, frozen=True):
    name: str
    type: FieldType
    page: bool | None  # required by the catalogue page (None: the page does not list it)
    platform: bool  # required by the Platform API's Error schema
    example: str  # the Platform API's example, as text (the page's are in the seed)


ENVELOPE_FIELDS: tuple[EnvelopeField, ...] = (
    EnvelopeField("message", "string", True, True, "Tool not found"),
    EnvelopeField("code", "integer", True, True, "1800"),
    EnvelopeField("slug", "string", None, True, "ActionExecute_ToolNotFound"),
    EnvelopeField("status", "integer", True, True, "404"),
    EnvelopeField("request_id", "string", True, False, "req_abc123"),
    EnvelopeField("suggested_fix", "string", False, False, "Check it"),
    EnvelopeField("errors", "array", False, False, '["detail"]'),
)

# Platform API v3.1, components.schemas.Error: the second published description. It is not on
# the catalogue page, so it is not in the seed; it is written in the page's own terms.
PLATFORM_OPENAPI_ERROR: tuple[EnvelopeFieldDoc, ...] = tuple(
    EnvelopeFieldDoc(name=f.name, type=f.type, required=f.platform, example=f.example)
    for f in ENVELOPE_FIELDS
)

# Required by both descriptions: what a lenient check (and the documented schema) requires.
REQUIRED_BY_BOTH: tuple[str, ...] = tuple(f.name for f in ENVELOPE_FIELDS if f.page and f.platform)
