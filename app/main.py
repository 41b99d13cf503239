"""``create_app(settings)``: the one place where errcat is wired together."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.exceptions import InternalServerException
from litestar.openapi import OpenAPIConfig

from app import __version__
from app.api import (
    catalogue,
    codes,
    convert,
    envelopes,
    error_types,
    health,
    pages,
    ranges,
    services,
    statuses,
)
from app.api import decode as decode_api
from app.api import observations as observations_api
from app.api.errors import make_exception_handler
from app.api.exports import build_router as build_exports_router
from app.api.front import Front
from app.api.hot_posts import HotPost, HotPosts
from app.api.metrics import build_metrics_router
from app.api.openapi import document_headers, operation_id
from app.api.query_check import unknown_query_guard
from app.api.response_cache import Computed, ResponseCache
from app.catalogue.decode import MAX_INPUT_BYTES, decode
from app.db.store import make_engine
from app.edge import client_gone_handler, serve_catalogue
from app.live import LiveCatalogue
from app.observability import RequestObserver, configure_logging
from app.observations import GroupCommit
from app.ratelimit import RateLimiter
from app.settings import Settings

CORS_EXPOSED_HEADERS = (
    "X-Request-ID",
    "ETag",
    "Retry-After",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
)


def create_app(settings: Settings | None = None) -> Front:
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level)
    live = LiveCatalogue(
        make_engine(settings.database_url, settings.db_timeout),
        settings.reload_interval,
        settings.db_timeout,
    )
    limiter = (
        [
            RateLimiter(
                limit=settings.rate_limit,
                current_snapshot=lambda: live.loaded,
                redis_url=settings.redis_url,
                prefix=settings.redis_prefix,
            )
        ]
        if settings.rate_limit
        else []
    )
    commits = GroupCommit(
        live.engine,
        flush_seconds=settings.observations_flush_seconds,
        commit_timeout=settings.observations_commit_timeout,
        max_keys=settings.observations_max_keys,
    )

    @asynccontextmanager
    async def lifespan(_app: Litestar) -> AsyncIterator[None]:
        await live.start()
        if settings.ingest_token:
            commits.start()
        # Start-up objects (the snapshot above all) live as long as the process: moving them out
        # of the collector's generations keeps GC pauses off the request path (docs/performance.md).
        gc.freeze()
        try:
            yield
        finally:
            # A batch being gathered is committed (its requests answered) before the engine goes.
            await commits.stop()
            await live.stop()
            for each in limiter:
                await each.counter.close()

    handle_error = make_exception_handler(lambda: live.loaded)
    serve_catalogue(lambda: live.loaded)  # for the HTTP server's own answers (app.server)
    app = Litestar(
        route_handlers=[
            codes.build_router(live),
            statuses.build_router(live),
            services.build_router(live),
            ranges.build_router(live),
            error_types.build_router(live),
            catalogue.build_router(live),
            build_exports_router(live),
            health.build_router(live),
            build_metrics_router(live, settings.metrics_token),
            envelopes.build_router(live),
            decode_api.build_router(live),
            convert.build_router(live),
            pages.build_router(live),
            *pages.static_routers(),
            observations_api.build_router(live, commits, settings),
        ],
        template_config=pages.template_config(),
        lifespan=[lifespan],
        guards=[unknown_query_guard()],
        exception_handlers={
            Exception: handle_error,
            InternalServerException: client_gone_handler(handle_error),
        },
        # Browsers may read the request id and the catalogue's ETag (for If-None-Match).
        cors_config=CORSConfig(
            allow_origins=list(settings.cors_origins), expose_headers=list(CORS_EXPOSED_HEADERS)
        )
        if settings.cors_origins
        else None,
        request_max_body_size=settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="errcat",
            version=__version__,
            description="The HTTP error catalogue: codes, ranges, services and envelope checks.",
            path="/schema",
            operation_id_creator=operation_id,
            # Swagger UI from the installed swagger-ui-bundle-v2 package, at /schema and
            # /schema/swagger: the reference works offline (app.api.pages).
            render_plugins=[pages.OfflineSwaggerRenderPlugin(path="/swagger")],
            openapi_router=pages.openapi_router(),
        ),
        state=State({"live": live, "settings": settings, "observations": commits}),
        logging_config=None,  # configure_logging above owns logging
        debug=False,
    )
    document_headers(app)
    # The answers given without routing: the lookups' cache and the hot checks.
    cache = ResponseCache(
        live,
        computed=(Computed("/codes/", "/codes/{code}", codes.code_lookup),),
        enabled=settings.response_cache,
    )
    hot_posts = HotPosts(
        live,
        {
            "/validate-envelope": HotPost(
                envelopes.lenient_report,
                frozenset({b"application/json"}),
                settings.max_body_bytes,
            ),
            "/decode": HotPost(
                decode, frozenset({b"application/json", b"text/plain"}), MAX_INPUT_BYTES
            ),
        },
        enabled=settings.response_cache,
    )
    live.on_swap.append(cache.forget)
    observer = None
    if settings.metrics or settings.access_log:
        observer = RequestObserver(metrics=settings.metrics, access_log=settings.access_log)
    return Front(
        app,
        live=live,
        cache=cache,
        hot_posts=hot_posts,
        limiter=limiter[0] if limiter else None,
        observer=observer,
    )
