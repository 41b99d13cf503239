"""Every error answer, in the catalogue's own envelope, rendered in one place.

The core raises domain exceptions (``app.catalogue.errors``); ``DOMAIN_ERRORS`` below is the one
table that turns each kind into an HTTP status. Litestar's own exceptions (404 for a path, 405,
validation) and errcat's HTTP-level ``CatalogueError`` go through the same handler.

The envelope satisfies both published descriptions: the page's (``message``, ``code``,
``status``, ``request_id``, ``suggested_fix``, ``errors``) and the platform OpenAPI's ``Error``
schema (``message``, ``code``, ``slug``, ``status`` required). ``code``/``slug`` come from the
page's HTTP section (see ``query.http_error_identity``), so errcat's own errors pass errcat's
own envelope validator.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.datastructures.headers import MediaTypeHeader
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import Scope

from app.catalogue.errors import (
    CatalogueNotLoaded,
    CatalogueProblem,
    InvalidInteger,
    InvalidRequest,
    NotFound,
    StoreUnavailable,
)
from app.catalogue.model import Snapshot
from app.catalogue.problem import PROBLEM_MEDIA_TYPE, ProblemDetails, problem_of
from app.error_envelope import ErrorBody as ErrorBody
from app.error_envelope import ErrorEnvelope as ErrorEnvelope
from app.error_envelope import error_envelope
from app.requestid import REQUEST_ID_HEADER as REQUEST_ID_HEADER
from app.requestid import request_id as request_id

log = logging.getLogger("errcat")


ERROR_ANSWERED = "errcat.error"  # in the scope's state: the error answered in the envelope


class CatalogueError(Exception):
    """errcat's own HTTP-level errors (a body too large, the wrong media type): raise it, the
    handler renders it. The catalogue's own problems are domain exceptions (``DOMAIN_ERRORS``).

    ``prefer`` names the HTTP-section entry to use when the page documents several for the
    status (404: ``URLNotFound`` for a path, ``ResourceNotFound`` for a thing that is absent).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        suggested_fix: str | None = None,
        errors: list[str] | None = None,
        prefer: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.suggested_fix = suggested_fix
        self.errors = errors or []
        self.prefer = prefer
        self.headers = headers or {}


# The one mapping of domain exceptions to HTTP: status, and the HTTP-section entry whose code
# and slug the envelope carries when the page documents several for that status. The most
# specific class of an exception's MRO that is listed wins.
DOMAIN_ERRORS: dict[type[CatalogueProblem], tuple[int, str | None]] = {
    CatalogueNotLoaded: (503, None),
    StoreUnavailable: (503, "ServiceUnavailable"),
    NotFound: (404, "ResourceNotFound"),
    InvalidInteger: (400, "BadRequest"),
    InvalidRequest: (400, None),
}


def domain_status(exc: CatalogueProblem) -> tuple[int, str | None] | None:
    """The HTTP status and preferred HTTP-section entry of a domain exception (None: a kind
    the table does not know, answered as an unhandled error)."""
    return next((DOMAIN_ERRORS[cls] for cls in type(exc).__mro__ if cls in DOMAIN_ERRORS), None)


_DEFAULT_FIX = {
    400: "Correct the request as the errors list says and send it again.",
    404: "Check the path and identifiers; GET /schema lists every route.",
    405: "Use one of the methods listed in the Allow header.",
    413: "Send a smaller body.",
    415: "Send the body as application/json.",
    429: "Slow down; retry after the seconds given in the RateLimit-Reset header.",
    500: "Retry later; if it persists, report the request_id.",
    503: "Retry shortly; the service is starting or its database is unreachable.",
}


def _public_name(request: Request[Any, Any, Any], key: str) -> str:
    """The name the client sent (``from``), not the handler's Python name (``start``)."""
    try:
        kwarg = request.route_handler.parsed_fn_signature.parameters[key].kwarg_definition
    except (KeyError, AttributeError):  # no route (404) or not a declared parameter
        return key
    return getattr(kwarg, "name", None) or key


def _validation_errors(request: Request[Any, Any, Any], exc: ValidationException) -> list[str]:
    out = []
    extra = exc.extra if isinstance(exc.extra, list) else [exc.extra] if exc.extra else []
    for item in extra:
        if isinstance(item, dict):
            key, source = item.get("key"), item.get("source")
            key = _public_name(request, key) if key else key
            source = getattr(source, "value", source)  # Litestar gives a ParamType enum
            where = f"{source} parameter '{key}'" if key and source else (key or "request")
            out.append(f"{where}: {item.get('message', 'invalid value')}")
        else:
            out.append(str(item))
    return out


def envelope_response(
    snapshot: Snapshot | None, scope: Scope, error: CatalogueError
) -> Response[ErrorEnvelope]:
    status = error.status
    rid = request_id(scope)
    envelope = error_envelope(
        snapshot,
        status,
        error.message,
        rid,
        error.suggested_fix or _DEFAULT_FIX.get(status, "Check the request and retry."),
        error.errors,
        error.prefer,
    )
    return Response(
        envelope,
        status_code=status,
        media_type=MediaType.JSON,
        headers={**error.headers, "X-Request-ID": rid, "Cache-Control": "no-store"},
    )


def envelope_answer(
    snapshot: Snapshot | None, scope: Scope, error: CatalogueError
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """``envelope_response`` as the bytes sent (status, headers, body), for answers given
    before routing (the rate limit's 429, a lookup's 400 and 404)."""
    response = envelope_response(snapshot, scope, error)
    body = msgspec.json.encode(response.content)
    headers = [  # in the order Litestar sends a Response's: its own headers first
        *((k.lower().encode(), str(v).encode()) for k, v in response.headers.items()),
        (b"content-type", b"application/json"),
        (b"content-length", b"%d" % len(body)),
    ]
    return error.status, headers, body


_PROBLEM = MediaTypeHeader(PROBLEM_MEDIA_TYPE)
_JSON = MediaTypeHeader("application/json")


def _quality(accepted: list[MediaTypeHeader], provided: MediaTypeHeader) -> int:
    """The quality (0-100) given to ``provided``: that of the most specific range matching it."""
    best = max(
        ((a.priority[1], a.priority[0]) for a in accepted if provided.match(a)), default=(0, 0)
    )
    return best[1]


def prefers_problem_details(scope: Scope) -> bool:
    """True when the Accept header ranks application/problem+json strictly above
    application/json. Ties (``*/*``, ``application/*``, no Accept) keep the envelope."""
    raw = next((v for k, v in scope.get("headers", ()) if k == b"accept"), None)
    if raw is None or b"problem+json" not in raw.lower():
        return False
    accepted = [MediaTypeHeader(t) for t in raw.decode("latin-1").split(",") if t.strip()]
    return _quality(accepted, _PROBLEM) > _quality(accepted, _JSON)


def problem_response(
    snapshot: Snapshot | None, request: Request[Any, Any, Any], error: CatalogueError
) -> Response[ProblemDetails]:
    """The error as RFC 9457 problem details (docs/problem-details.md): the envelope's fields,
    with ``type`` the code's page and ``title`` the entry's name."""
    envelope = envelope_response(snapshot, request.scope, error)
    fields = msgspec.structs.asdict(envelope.content.error)  # the envelope's fields, by name
    problem = problem_of(snapshot, str(request.base_url), **fields)
    return Response(
        problem,
        status_code=envelope.status_code,
        media_type=PROBLEM_MEDIA_TYPE,
        headers={**envelope.headers, "Vary": "Accept"},
    )


def _from_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> CatalogueError:
    status = exc.status_code
    errors = _validation_errors(request, exc) if isinstance(exc, ValidationException) else []
    message = exc.detail or HTTPStatus(status).phrase
    prefer = None
    if status == 404:
        message, prefer = f"No route matches {request.method} {request.url.path}", "URLNotFound"
    elif status == 405:
        message = f"Method {request.method} is not allowed on {request.url.path}"
    elif status == 400 and errors:
        message = "The request's parameters are invalid"
    elif status == 400:
        errors = [message]  # e.g. a missing required parameter: name it in errors too
    if status >= 500:
        log.error("server error: %s", exc.detail, extra={"request_id": request_id(request.scope)})
        message = HTTPStatus(status).phrase
    return CatalogueError(
        status, message, errors=errors, prefer=prefer, headers=dict(exc.headers or {})
    )


def domain_error(exc: CatalogueProblem) -> CatalogueError | None:
    """A domain exception as the error errcat answers with (None: a kind the table lacks)."""
    mapped = domain_status(exc)
    if mapped is None:
        return None
    status, prefer = mapped
    return CatalogueError(
        status, exc.message, suggested_fix=exc.suggested_fix, errors=exc.errors, prefer=prefer
    )


def as_catalogue_error(request: Request[Any, Any, Any], exc: Exception) -> CatalogueError:
    """Any exception as the error errcat answers with."""
    if isinstance(exc, CatalogueError):
        return exc
    error = domain_error(exc) if isinstance(exc, CatalogueProblem) else None
    if error is not None:
        return error
    if isinstance(exc, HTTPException):
        return _from_http_exception(request, exc)
    log.exception("unhandled error", extra={"request_id": request_id(request.scope)})
    return CatalogueError(500, "Internal server error")


def make_exception_handler(
    current_snapshot: Callable[[], Snapshot | None],
) -> Callable[
    [Request[Any, Any, Any], Exception], Response[ErrorEnvelope] | Response[ProblemDetails]
]:
    """One handler for every exception; ``current_snapshot()`` gives the loaded Snapshot or None."""

    def handle(
        request: Request[Any, Any, Any], exc: Exception
    ) -> Response[ErrorEnvelope] | Response[ProblemDetails]:
        error = as_catalogue_error(request, exc)
        if prefers_problem_details(request.scope):
            return problem_response(current_snapshot(), request, error)
        # Noted for the response cache, which keeps a catalogue route's 400/404 as the error
        # (never as bytes) and answers it again through envelope_answer.
        request.scope["state"][ERROR_ANSWERED] = error
        return envelope_response(current_snapshot(), request.scope, error)

    return handle
