"""Pages for people: the catalogue, each code and service, integrity findings, the API reference.

Server-rendered (Jinja2, ``app/templates``), with no script but the API reference's Swagger UI,
which errcat serves itself like every asset (``/static/``, ``/vendor/swagger-ui/``), so the
pages work with no other host reachable. A browser (``Accept`` ranking ``text/html`` above JSON)
gets the page of ``GET /codes/{code}`` and ``GET /services/{service}`` through a
``before_request`` hook, every other client the JSON handler; both answers carry ``Vary:
Accept`` (``with_vary_accept``). Here: negotiation, routes, hooks and wiring; what each page
shows is ``page_views``'.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

import swagger_ui_bundle
from litestar import MediaType, Request, Response, Router, get
from litestar.datastructures import CacheControlHeader
from litestar.datastructures.headers import MediaTypeHeader
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from app.api.page_views import (
    SECURITY_HEADERS,
    PageData,
    catalogue_page,
    code_page,
    findings_page,
    service_page_for,
    status_phrase,
)
from app.catalogue.model import NAMESPACES
from app.live import LiveCatalogue

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
SWAGGER_UI_DIR = Path(str(swagger_ui_bundle.swagger_ui_path))
SWAGGER_UI_URL = "/vendor/swagger-ui"

# The pages' own policy (page_views.PAGE_CSP), except that Swagger UI's stylesheet draws its icons
# as data: images: the API reference allows those (and nothing else more).
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)

# --- content negotiation ----------------------------------------------------------------------

_JSON = MediaTypeHeader("application/json")
_HTML = MediaTypeHeader("text/html")


def _quality(accepted: list[MediaTypeHeader], provided: MediaTypeHeader) -> int:
    """The quality (0-100) given to ``provided``: that of the most specific range matching it."""
    best = max(
        ((a.priority[1], a.priority[0]) for a in accepted if provided.match(a)), default=(0, 0)
    )
    return best[1]


def prefers_html(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """True when the (first) Accept header ranks text/html strictly above application/json.

    Ties (``*/*``, no Accept, ``application/json, text/html``) go to JSON: the API's default.
    """
    return accept_prefers_html(next((v for k, v in headers if k == b"accept"), None))


def accept_prefers_html(raw: bytes | None) -> bool:
    """``prefers_html`` for an Accept value already found (the response cache's one pass).

    A value that names no text/ type is answered without parsing, so JSON stays fast; browsers
    send a handful of distinct Accept values, so the parsed outcome is remembered (bounded).
    """
    if raw is None or b"text/" not in raw.lower():
        return False
    return _html_ranked_first(raw)


@functools.lru_cache(maxsize=512)
def _html_ranked_first(raw: bytes) -> bool:
    try:
        accepted = [MediaTypeHeader(t) for t in raw.decode("latin-1").split(",") if t.strip()]
        return _quality(accepted, _HTML) > _quality(accepted, _JSON)
    except (ValueError, OverflowError):  # q=inf, q=1e999 ...: not a usable Accept; JSON it is
        return False


# The routes whose answer depends on Accept (HTML for a browser, JSON otherwise).
NEGOTIATED_ROUTES = frozenset({"/codes/{code}", "/services/{service}"})


def with_vary_accept(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """A negotiated route's headers with ``Accept`` in ``Vary``, merged with what is there.

    Applied before routing's answer leaves (``app.api.front``) rather than in a response hook:
    Litestar's CORS middleware sets ``Vary: Origin`` over any earlier value, so a hook's ``Vary:
    Accept`` was lost on cross-origin requests (caches could then hand a browser JSON).
    """
    if not any(k.lower() == b"vary" for k, _ in headers):
        return [*headers, (b"vary", b"Accept")]  # nothing to merge (CORS off): the hot path
    vary = [
        part.strip()
        for k, v in headers
        if k.lower() == b"vary"
        for part in v.split(b",")
        if part.strip()
    ]
    if b"accept" not in {part.lower() for part in vary}:
        vary.append(b"Accept")
    return [*((k, v) for k, v in headers if k.lower() != b"vary"), (b"vary", b", ".join(vary))]


def page_data(live: LiveCatalogue) -> PageData:
    """What the pages derive from the served snapshot, built once per snapshot."""
    return live.derived(live.snapshot, PageData)


BeforeRequest = Callable[[Request[Any, Any, Any]], Awaitable[Response[Any] | None]]


def code_page_hook(live: LiveCatalogue) -> BeforeRequest:
    """before_request of GET /codes/{code}: the page for a browser, None (JSON) for the rest."""

    async def hook(request: Request[Any, Any, Any]) -> Response[Any] | None:
        if not prefers_html(request.scope["headers"]):
            return None
        namespace = request.query_params.get("namespace")
        if namespace is not None and namespace not in NAMESPACES:
            return None  # the JSON handler explains the bad parameter
        return code_page(page_data(live), request.path_params["code"], namespace)

    return hook


def service_page_hook(live: LiveCatalogue) -> BeforeRequest:
    """before_request of GET /services/{service}: the page for a browser, None for the rest."""

    async def hook(request: Request[Any, Any, Any]) -> Response[Any] | None:
        if not prefers_html(request.scope["headers"]):
            return None
        return service_page_for(page_data(live), request.path_params["service"])

    return hook


def build_router(live: LiveCatalogue) -> Router:
    @get("/", sync_to_thread=False, media_type=MediaType.HTML)
    def index(request: Request[Any, Any, Any]) -> Template:
        return catalogue_page(page_data(live), dict(request.query_params))

    @get("/findings", sync_to_thread=False, media_type=MediaType.HTML)
    def findings() -> Template:
        return findings_page(page_data(live))

    return Router(path="/", route_handlers=[index, findings], include_in_schema=False)


# --- wiring: templates, static files, the API reference ---------------------------------------


def _register_filters(engine: JinjaTemplateEngine) -> None:
    engine.engine.filters["phrase"] = status_phrase


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(
        directory=TEMPLATES_DIR, engine=JinjaTemplateEngine, engine_callback=_register_filters
    )


async def _nosniff(response: Response[Any]) -> Response[Any]:
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def static_routers() -> list[Router]:
    """errcat's own CSS and script at /static/, Swagger UI's files at /vendor/swagger-ui/."""
    return [
        create_static_files_router(
            path="/static",
            directories=[STATIC_DIR],
            name="static",
            after_request=_nosniff,
            cache_control=CacheControlHeader(public=True, max_age=3600),
        ),
        create_static_files_router(
            path=SWAGGER_UI_URL,
            directories=[SWAGGER_UI_DIR],
            name="swagger-ui",
            after_request=_nosniff,
            cache_control=CacheControlHeader(public=True, max_age=86400),
        ),
    ]


class OfflineSwaggerRenderPlugin(SwaggerRenderPlugin):
    """Swagger UI from errcat's own routes, started by a script file: no CDN, no inline script."""

    def __init__(self, path: str | list[str] = "/swagger") -> None:
        super().__init__(
            js_url=f"{SWAGGER_UI_URL}/swagger-ui-bundle.js",
            css_url=f"{SWAGGER_UI_URL}/swagger-ui.css",
            standalone_preset_js_url=f"{SWAGGER_UI_URL}/swagger-ui-standalone-preset.js",
            path=path,
            favicon="",
        )

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        engine = request.app.template_engine
        assert engine is not None  # create_app configures the templates (template_config)
        html: str = engine.get_template("swagger.html").render(
            title=openapi_schema["info"]["title"],
            js_url=self.js_url,
            css_url=self.css_url,
            spec_url=self.get_openapi_json_route(request),
        )
        return html.encode()

    def receive_router(self, router: Router) -> None:
        """No OAuth2 redirect page: errcat has no OAuth, and Litestar's page is inline script."""


def openapi_router() -> Router:
    """The router the OpenAPI plugin adds its routes to: its HTML carries the docs' CSP."""
    return Router(
        "/schema",
        route_handlers=[],
        include_in_schema=False,
        response_headers={**SECURITY_HEADERS, "Content-Security-Policy": DOCS_CSP},
    )
