"""GET /health (liveness) and GET /ready (readiness: a catalogue is loaded, so errcat can serve).

Lookups answer from the in-memory snapshot, so a database that is away does not make errcat
unready: /ready answers 200 while a snapshot is loaded and reports the database's state in its
body (and in the ``errcat_database_up`` gauge); it answers 503 only while no catalogue is loaded.
"""

from __future__ import annotations

from typing import Literal

import msgspec
from litestar import Router, get

from app.api.common import error_responses
from app.api.errors import CatalogueError
from app.api.schemas import Health
from app.catalogue.model import CatalogueVersion
from app.live import LiveCatalogue


class DatabaseState(msgspec.Struct, frozen=True):
    state: Literal["ok", "unreachable", "stalled", "unknown"]
    last_error: str | None  # the failure's type name, e.g. "ConnectionRefusedError"
    checked_at: str | None  # ISO 8601, UTC


class Readiness(msgspec.Struct, frozen=True):
    status: Literal["ready"]
    catalogue: CatalogueVersion
    database: DatabaseState


def build_router(live: LiveCatalogue) -> Router:
    @get("/health", sync_to_thread=False, summary="Liveness: the process answers")
    def health() -> Health:
        return Health(status="ok")

    @get(
        "/ready",
        summary="Readiness: a catalogue is loaded; the database's state is reported, not required",
        description=(
            "200 whenever a catalogue snapshot is loaded (lookups answer from memory), with the "
            "database's state (`ok`, `unreachable`, `stalled`) from a check bounded by "
            "DB_TIMEOUT; 503 only while no catalogue is loaded."
        ),
        responses=error_responses(503),
    )
    async def ready() -> Readiness:
        await live.check_database()
        snap = live.loaded
        if snap is None:
            # Only the error's type: its text can name tables, SQL or hosts, and this is public.
            reason = f" ({live.last_error})" if live.last_error else ""
            raise CatalogueError(
                503,
                f"The catalogue is not loaded yet{reason}; database: {live.db_state}",
                suggested_fix="If the database was never seeded, run `errcat seed`; the service "
                "retries loading by itself.",
                prefer="ServiceUnavailable",
            )
        return Readiness(
            status="ready",
            catalogue=snap.version,
            database=DatabaseState(
                state=live.db_state, last_error=live.db_error, checked_at=live.db_checked_at
            ),
        )

    return Router(path="/", route_handlers=[health, ready], tags=["operations"])
