"""Small pieces every router shares: parameter parsing, cache opt-in, documented error answers."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import TYPE_CHECKING, Annotated, Literal, NoReturn, TypeVar

from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import QueryParameter
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.api.errors import CatalogueError, ErrorEnvelope
from app.catalogue.model import Snapshot
from app.catalogue.query import FilterError

if TYPE_CHECKING:
    from app.live import LiveCatalogue

T = TypeVar("T")

# Routes with this opt answer from the snapshot only, so their answers are cacheable by the
# catalogue's version (ETag) and a matching If-None-Match gets 304 (see app.api.caching).
CACHEABLE = {"cacheable": True}

NamespaceParam = Annotated[
    Literal["platform", "thermos"] | None,
    QueryParameter(description="Narrow to one namespace: the platform's codes or Thermos's"),
]

_INT = re.compile(r"[+-]?[0-9]{1,18}")  # ASCII digits only: str.isdigit admits "١٢" too
# Documents the form parse_int accepts (integers arrive as strings so that a bad one gets
# errcat's own message); the check itself stays in parse_int.
INTEGER_SCHEMA = {"pattern": r"^[ \t]*[+-]?[0-9]{1,18}[ \t]*$"}


def parse_int(raw: str, field: str, example: int = 1205) -> int:
    # Only ASCII space and tab around it: str.strip() would also drop \x1c-\x1f and Unicode
    # spaces, letting "\x1c1205\x1f" through as 1205.
    text = raw.strip(" \t")
    if not _INT.fullmatch(text):
        raise CatalogueError(
            400,
            f"{field} must be an integer, not {quote(raw)}",
            errors=[f"{field}: expected an integer of at most 18 digits"],
            suggested_fix=f"Send {field} as a whole number, e.g. {example}.",
            prefer="BadRequest",
        )
    return int(text)


def quote(value: str, limit: int = 40) -> str:
    """A value from the request, cut short and repr-escaped, safe to put in a message."""
    return repr(value[:limit]) + ("…" if len(value) > limit else "")


@asynccontextmanager
async def store_access(
    timeout: float = 2.0, live: LiveCatalogue | None = None
) -> AsyncIterator[None]:
    """Database work on behalf of a request, bounded by ``timeout`` seconds (DB_TIMEOUT): a 503
    in the envelope when the store is away or does not answer in time. With ``live``, the
    outcome also updates the database state /ready and /metrics report."""
    try:
        # A guard: the calls inside are bounded themselves (store.bounded), since a cancelled
        # database call can take a while to let go.
        async with asyncio.timeout(timeout * 2):
            yield
    except (DBAPIError, PoolTimeout, OSError, TimeoutError) as exc:
        if live is not None:
            live.record_database(exc)
        stalled = isinstance(exc, TimeoutError | PoolTimeout) or "Timeout" in type(exc).__name__
        reason = f"no answer within {timeout:g} s" if stalled else type(exc).__name__
        raise CatalogueError(
            503,
            f"Database unavailable: {reason}",
            suggested_fix="Retry shortly; check DATABASE_URL and that the database is up.",
            prefer="ServiceUnavailable",
        ) from exc
    if live is not None:
        live.record_database(None)


def raise_filter_error(exc: FilterError) -> NoReturn:
    raise CatalogueError(
        400,
        f"Invalid value for {exc.field}",
        errors=[f"{exc.field}: {exc}"],
        suggested_fix=str(exc),
    ) from exc


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


def _example(status: int) -> Example:
    phrase = HTTPStatus(status).phrase
    code, slug = EXAMPLE_IDENTITIES[status]
    return Example(
        summary=phrase,
        value={
            "error": {
                "message": phrase,
                "code": code,
                "slug": slug,
                "status": status,
                "request_id": "req_3f2a9c1e5b7d4a60c2e8f1b3",
                "suggested_fix": "What to change before retrying",
                "errors": [],
            }
        },
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


def per_snapshot(build: Callable[[Snapshot], T]) -> Callable[[Snapshot], T]:
    """Memoise an answer derived from the whole snapshot until the snapshot is replaced."""
    last: list = [None, None]

    def get(snap: Snapshot) -> T:
        if last[0] is not snap:
            last[1] = build(snap)
            last[0] = snap
        return last[1]

    return get
