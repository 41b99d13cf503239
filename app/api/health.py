"""GET /health (liveness) and GET /ready (readiness: snapshot loaded and database reachable)."""

from __future__ import annotations

import asyncio

from litestar import Router, get

from app.api.common import error_responses
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
        try:
            await asyncio.wait_for(ping(live.engine), READY_DB_TIMEOUT)
        except Exception as exc:
            raise CatalogueError(
                503,
                f"Database unreachable: {type(exc).__name__}",
                suggested_fix="Check DATABASE_URL and that the database is up; /ready retries.",
                prefer="ServiceUnavailable",
            ) from exc
        if snap is None:
            raise CatalogueError(
                503,
                "The catalogue is not loaded yet",
                suggested_fix="Seed the database (errcat seed); the service picks it up by itself.",
                prefer="ServiceUnavailable",
            )
        return Readiness(status="ready", database="ok", catalogue=snap.version)

    return Router(path="/", route_handlers=[health, ready], tags=["operations"])
