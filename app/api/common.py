"""Small pieces every router shares: parameter parsing, cache opt-in, documented error answers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, TypeVar

from litestar.params import QueryParameter
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.catalogue.errors import InvalidInteger, StoreUnavailable
from app.catalogue.vocabulary import Namespace

# Re-exported: the routers take every shared piece from here.
from app.error_envelope import EXAMPLE_IDENTITIES as EXAMPLE_IDENTITIES
from app.error_envelope import error_responses as error_responses

if TYPE_CHECKING:
    from app.live import LiveCatalogue

T = TypeVar("T")

# Routes with this opt answer from the snapshot only, so their answers are cacheable by the
# catalogue's version (ETag) and a matching If-None-Match gets 304 (see app.api.caching).
CACHEABLE = {"cacheable": True}

NamespaceParam = Annotated[
    Namespace | None,  # an enum: one shared OpenAPI component (app.catalogue.vocabulary)
    QueryParameter(description="Narrow to one namespace: the platform's codes or Thermos's"),
]

# What parse_int accepts, documented as the integer it is (generated clients send an int): the
# parameter arrives as a string so that a bad one gets errcat's own message (ASCII digits only,
# at most 18, no sign: codes and statuses are never negative); the check itself stays in
# parse_int.
MAX_INTEGER = 10**18 - 1
INTEGER_SCHEMA = {"type": "integer", "minimum": 0, "maximum": MAX_INTEGER}
# The largest offset a listing takes: past it a 400, as past the largest limit.
MAX_OFFSET = 2**31 - 1


# What a text filter accepts (app.catalogue.query: at most 200 characters, no control
# characters), documented so that the schema says what a 400 answers.
TEXT_FILTER_SCHEMA = {"maxLength": 200, "pattern": r"^[^\x00-\x1f\x7f-\x9f]*$"}


def parse_int(raw: str, field: str, example: int = 1205) -> int:
    """``raw`` as an integer: 1 to 18 ASCII digits, with only spaces or tabs around them (no
    sign: "+1205" and "-1" are refused like "abc"), or an InvalidInteger (400)."""
    # Only ASCII space and tab around it: str.strip() would also drop \x1c-\x1f and Unicode
    # spaces, letting "\x1c1205\x1f" through as 1205.
    # isascii() first: str.isdigit alone admits "١٢" and "²"; no pattern runs over the text.
    text = raw.strip(" \t")
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise InvalidInteger(field, raw, example)
    return int(text)


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
        raise StoreUnavailable(
            f"no answer within {timeout:g} s" if stalled else type(exc).__name__
        ) from exc
    if live is not None:
        live.record_database(None)
