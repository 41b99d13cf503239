"""The OpenAPI document, made for client generators, in one place rather than in every router.

- ``operation_id``: readable ids from the handler's name (``get_code`` -> ``getCode``), with a
  few names spelt out where the handler's own name says too little (``validate`` ->
  ``validateEnvelope``). A test checks that every id is unique.
- ``document_headers``: every operation documents the ``X-Request-ID`` it takes and answers;
  the cacheable routes (``opt=CACHEABLE``) document ``If-None-Match``, the ``ETag`` and
  ``Cache-Control`` of their 200 and their 304; error answers document their problem details
  form (``Accept: application/problem+json``) next to the envelope.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from litestar import Litestar
from litestar.enums import HttpMethod
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import (
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Reference,
    Schema,
)
from litestar.openapi.spec import Parameter as OpenAPIParameter
from litestar.types.internal_types import PathParameterDefinition

from app.catalogue.problem import PROBLEM_MEDIA_TYPE

# Handler names that read poorly as operation ids (or clash across routers), spelt out.
OPERATION_IDS: dict[str, str] = {
    "validate": "validateEnvelope",
    "validate_many": "validateEnvelopeBatch",
    "decode_body": "decodeErrorBody",
    "ingest": "ingestObservations",
    "observation_drift": "getObservationDrift",
    "health": "getHealth",
    "ready": "getReadiness",
    "metrics": "getMetrics",
    "get_report": "getIntegrityReport",
    "get_changes": "getCatalogueChanges",
}


def camel(name: str) -> str:
    head, *rest = [part for part in re.split(r"[^A-Za-z0-9]+", name) if part]
    return head.lower() + "".join(part[:1].upper() + part[1:] for part in rest)


def operation_id(
    route_handler: HTTPRouteHandler,
    http_method: HttpMethod | str,
    _path: list[str | PathParameterDefinition],
) -> str:
    """OpenAPIConfig.operation_id_creator: the handler's name, or its route name (the exports
    share one function), in camelCase."""
    name = route_handler.handler_name
    if name in OPERATION_IDS:
        return OPERATION_IDS[name]
    if route_handler.name:  # e.g. export-csv
        return camel(route_handler.name)
    return camel(name)


_PROBLEM = Reference(ref="#/components/schemas/ProblemDetails")
_REQUEST_ID = "The request's id: the X-Request-ID sent (when safe), else a new one"
_STRING = Schema(type=OpenAPIType.STRING)
_REQUEST_ID_PARAMETER = OpenAPIParameter(
    name="X-Request-ID",
    param_in="header",
    required=False,
    schema=_STRING,
    description=(
        "A request id to use: kept when it is 1-128 of A-Z a-z 0-9 . _ : -, otherwise replaced "
        "by a new one (never refused). Echoed in X-Request-ID and in every error's request_id."
    ),
)
_IF_NONE_MATCH_PARAMETER = OpenAPIParameter(
    name="If-None-Match",
    param_in="header",
    required=False,
    schema=_STRING,
    description="An ETag from an earlier answer: 304 with no body while the catalogue is the same",
)
_ANSWER_HEADERS = {"X-Request-ID": OpenAPIHeader(schema=_STRING, description=_REQUEST_ID)}
_CACHE_HEADERS = {
    "ETag": OpenAPIHeader(
        schema=_STRING, description='The catalogue version (weak), e.g. W/"3-0123456789abcdef"'
    ),
    "Cache-Control": OpenAPIHeader(
        schema=_STRING, description="How long caches may keep the answer before revalidating"
    ),
}


def _amend(operation: Operation, cacheable: bool) -> None:
    operation.parameters = [
        *(operation.parameters or []),
        *([_IF_NONE_MATCH_PARAMETER] if cacheable else []),
        _REQUEST_ID_PARAMETER,
    ]
    for status, response in (operation.responses or {}).items():
        if isinstance(response, OpenAPIResponse):
            extra = _CACHE_HEADERS if cacheable and status == "200" else {}
            response.headers = {**(response.headers or {}), **extra, **_ANSWER_HEADERS}
            if status >= "400" and response.content and "application/json" in response.content:
                # Accept: application/problem+json (app.api.errors, docs/problem-details.md)
                response.content[PROBLEM_MEDIA_TYPE] = OpenAPIMediaType(schema=_PROBLEM)
    if cacheable and operation.responses is not None:
        operation.responses["304"] = OpenAPIResponse(
            description="Not Modified: the If-None-Match ETag is the catalogue's current version",
            headers={**_CACHE_HEADERS, **_ANSWER_HEADERS},
        )


class _Documented:
    """Marks the operation classes made below."""


def _documented(base: type[Operation], cacheable: bool) -> type[Operation]:
    @dataclass
    class WithHeaders(base, _Documented):  # type: ignore[valid-type,misc]
        def __post_init__(self) -> None:
            parent = getattr(super(), "__post_init__", None)
            if parent is not None:
                parent()
            _amend(self, cacheable)

    WithHeaders.__name__ = f"{base.__name__}WithHeaders"
    return WithHeaders


def document_headers(app: Litestar) -> None:
    """Give every documented operation its header documentation (before the document is built:
    Litestar builds it on first use)."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if issubclass(handler.operation_class, _Documented):
                continue  # a handler shared by several routes
            cacheable = bool(handler.opt.get("cacheable")) and "GET" in handler.http_methods
            handler.operation_class = _documented(handler.operation_class, cacheable)
