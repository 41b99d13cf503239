"""``create_app(settings)``: the one place where errcat is wired together."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.exceptions import InternalServerException
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.types import ASGIApp, Middleware

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
from app.api.caching import ConditionalGetMiddleware
from app.api.common import forget_snapshot_memos
from app.api.errors import RequestIdMiddleware, make_exception_handler
from app.api.exports import build_router as build_exports_router
from app.api.head import HeadAsGet, allow_by_route
from app.api.hot_posts import HotPost, HotPosts
from app.api.metrics import build_metrics_router
from app.api.openapi import document_headers, operation_id
from app.api.pages import VaryAccept
from app.api.query_check import UnknownQueryMiddleware
from app.api.response_cache import Computed, Recorder, ResponseCache
from app.catalogue.decode import MAX_INPUT_BYTES, decode
from app.db.store import make_engine
from app.edge import EdgeHeaders, client_gone_handler, serve_catalogue
from app.live import LiveCatalogue
from app.observability import (
    RequestObserver,
    configure_logging,
)
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


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level)
    live = LiveCatalogue(
        make_engine(settings.database_url, settings.db_timeout),
        settings.reload_interval,
        settings.db_timeout,
    )
    limiter: list[RateLimiter] = []  # set below, once the handler it wraps exists
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
    # Outermost first: the request id before anything can answer.
    middleware: list[Middleware] = [
        RequestIdMiddleware,
        UnknownQueryMiddleware,
        DefineMiddleware(ConditionalGetMiddleware, live=live),
    ]
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
        middleware=middleware,
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
    live.on_swap.append(forget_snapshot_memos)

    def fast_lanes(inner: ASGIApp, record: Recorder | None) -> ASGIApp:
        """The response cache and the hot checks: answers given before routing (the cache,
        for GET, first: lookups are the more frequent)."""
        hot_posts = HotPosts(
            inner,
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
            record=record,
        )
        cache = ResponseCache(
            hot_posts,
            live,
            computed=(Computed("/codes/", "/codes/{code}", codes.code_lookup),),
            record=record,
        )
        live.on_swap.extend((cache.forget, hot_posts.forget))
        return cache

    # Around routing itself, so that they see every request, unmatched ones too: HEAD is served
    # wherever GET is (Litestar would answer 405 before any middleware), metrics and the access
    # log record 404s and 405s as well, and the rate limit applies to them too.
    handler: ASGIApp = VaryAccept(app.asgi_handler)
    # With a rate limit the fast lanes sit inside it (it counts every request and its headers
    # differ per request) and the layers outside them see their answers as any other.
    # Without one (the default) they are outermost: what they keep was learnt from answers
    # that passed every layer (nosniff and CORS included), and they record their own answers
    # in the metrics and the access log; each layer a replay skips is a measurable share of its
    # cost (docs/performance.md).
    outermost = settings.response_cache and not settings.rate_limit
    if settings.response_cache and not outermost:
        handler = fast_lanes(handler, None)
    if settings.rate_limit:
        limiter.append(
            RateLimiter(
                handler,
                limit=settings.rate_limit,
                current_snapshot=lambda: live.loaded,
                redis_url=settings.redis_url,
                prefix=settings.redis_prefix,
            )
        )
        handler = limiter[0]
    observer = None
    if settings.metrics or settings.access_log:
        observer = RequestObserver(
            handler, metrics=settings.metrics, access_log=settings.access_log
        )
        handler = observer
    # nosniff on every answer; a client's hang-up noted (app.edge).
    handler = EdgeHeaders(HeadAsGet(handler, allow_by_route(app.routes)))
    if outermost:
        handler = fast_lanes(handler, observer.record if observer is not None else None)
    app.asgi_handler = handler
    return app
