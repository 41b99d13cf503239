"""GET /health (liveness) and GET /ready (readiness: snapshot loaded and database reachable)."""

from __future__ import annotations

from litestar import Router, get

from app.api.common import error_responses, store_access
from app.api.errors import CatalogueError
from app.api.schemas import Health, Readiness
from app.db.store import ping
from app.live import LiveCatalogue

READY_DB_TIMEOUT = 2.0


def build_router(live: LiveCatalogue) -> Router:
    @get("/health", sync_to_thread=False, summary="Liveness: the process answers")
    def health() -> Health:
        return Health(status="ok")

    @get(
        "/ready",
        summary="Readiness: the catalogue is loaded and the database answers",
        responses=error_responses(503),
    )
    async def ready() -> Readiness:
        snap = live.loaded
        async with store_access(READY_DB_TIMEOUT):
            await ping(live.engine)
        if snap is None:
            # Only the error's type: its text can name tables, SQL or hosts, and this is public.
            reason = f" ({live.last_error})" if live.last_error else ""
            raise CatalogueError(
                503,
                f"The catalogue is not loaded yet{reason}",
                suggested_fix="If the database was never seeded, run `errcat seed`; the service "
                "retries loading by itself.",
                prefer="ServiceUnavailable",
            )
        return Readiness(status="ready", database="ok", catalogue=snap.version)

    return Router(path="/", route_handlers=[health, ready], tags=["operations"])
