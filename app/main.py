"""``create_app(settings)``: the one place where errcat is wired together."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.middleware import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin

from app.api import catalogue, codes, envelopes, error_types, health, ranges, services, statuses
from app.api import decode as decode_api
from app.api import observations as observations_api
from app.api.caching import ConditionalGetMiddleware
from app.api.errors import RequestIdMiddleware, make_exception_handler
from app.api.head import HeadAsGet
from app.db.store import make_engine
from app.live import LiveCatalogue
from app.observability import (
    RequestObserver,
    build_metrics_router,
    configure_logging,
)
from app.observations import ObservationBuffer, ObservationFlusher
from app.settings import Settings

API_VERSION = "0.1.0"


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level)
    live = LiveCatalogue(make_engine(settings.database_url), settings.reload_interval)
    observed = ObservationBuffer()
    flusher = ObservationFlusher(
        live.engine,
        observed,
        settings.observations_flush_seconds,
        settings.observations_max_keys,
    )

    @asynccontextmanager
    async def lifespan(_app: Litestar) -> AsyncIterator[None]:
        await live.start()
        if settings.ingest_token:
            flusher.start()
        # Start-up objects (the snapshot above all) live as long as the process: moving them out
        # of the collector's generations keeps GC pauses off the request path (FACTS.md).
        gc.freeze()
        try:
            yield
        finally:
            # Acknowledged observations are written before the engine is disposed.
            await flusher.stop()
            await live.stop()

    handle_error = make_exception_handler(lambda: live.loaded)
    # Outermost first: the request id before anything can answer.
    middleware = [RequestIdMiddleware, DefineMiddleware(ConditionalGetMiddleware, live=live)]
    if settings.rate_limit:
        unit, count = settings.rate_limit
        limit = RateLimitConfig(rate_limit=(unit, count), exclude=["/health", "/ready", "/metrics"])
        middleware.append(limit.middleware)
    app = Litestar(
        route_handlers=[
            codes.build_router(live),
            statuses.build_router(live),
            services.build_router(live),
            ranges.build_router(live),
            error_types.build_router(live),
            catalogue.build_router(live),
            health.build_router(live),
            build_metrics_router(live),
            envelopes.build_router(live),
            decode_api.build_router(live),
            observations_api.build_router(live, observed, settings),
        ],
        lifespan=[lifespan],
        middleware=middleware,
        exception_handlers={Exception: handle_error},
        cors_config=CORSConfig(allow_origins=list(settings.cors_origins))
        if settings.cors_origins
        else None,
        request_max_body_size=settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="errcat",
            version=API_VERSION,
            description="The HTTP error catalogue: codes, ranges, services and envelope checks.",
            path="/schema",
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
        ),
        state={"live": live, "settings": settings, "observations": flusher},
        logging_config=None,  # configure_logging above owns logging
        debug=False,
    )
    # Around routing itself, so that they see every request, unmatched ones too: HEAD is served
    # wherever GET is (Litestar would answer 405 before any middleware), and metrics and the
    # access log record 404s and 405s as well.
    handler = app.asgi_handler
    if settings.metrics or settings.access_log:
        handler = RequestObserver(handler, metrics=settings.metrics, access_log=settings.access_log)
    app.asgi_handler = HeadAsGet(handler)
    return app
