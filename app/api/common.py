"""Small pieces every router shares: parameter parsing, cache opt-in, documented error answers."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Literal, TypeVar

from litestar.params import QueryParameter
from sqlalchemy.exc import DBAPIError

from app.catalogue.errors import InvalidInteger, StoreUnavailable
from app.catalogue.model import Snapshot

# Re-exported: the routers take every shared piece from here.
from app.error_envelope import EXAMPLE_IDENTITIES as EXAMPLE_IDENTITIES
from app.error_envelope import error_responses as error_responses

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
INTEGER_SCHEMA = {"pattern": r"^\s*[+-]?[0-9]{1,18}\s*$"}


def parse_int(raw: str, field: str, example: int = 1205) -> int:
    text = raw.strip()
    if not _INT.fullmatch(text):
        raise InvalidInteger(field, raw, example)
    return int(text)


@asynccontextmanager
async def store_access(timeout: float = 2.0) -> AsyncIterator[None]:
    """Database work on behalf of a request: StoreUnavailable (a 503) when the store is away."""
    try:
        async with asyncio.timeout(timeout):
            yield
    except (DBAPIError, OSError, TimeoutError) as exc:
        raise StoreUnavailable(type(exc).__name__) from exc


def per_snapshot(build: Callable[[Snapshot], T]) -> Callable[[Snapshot], T]:
    """Memoise an answer derived from the whole snapshot until the snapshot is replaced."""
    last: list = [None, None]

    def get(snap: Snapshot) -> T:
        if last[0] is not snap:
            last[1] = build(snap)
            last[0] = snap
        return last[1]

    return get
