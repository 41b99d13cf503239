"""Pages for people: the catalogue, each code and service, integrity findings, the API reference.

Server-rendered with Litestar's Jinja2 templates (``app/templates``); no page needs JavaScript
except the API reference, whose Swagger UI is served, like every other asset, by errcat itself
(``/static/`` for errcat's own files, ``/vendor/swagger-ui/`` for the files of the installed
``swagger-ui-bundle-v2`` package), so the pages work with no other host reachable.

``GET /codes/{code}`` and ``GET /services/{service}`` are the API's own routes: a browser (an
``Accept`` header that ranks ``text/html`` above ``application/json``) gets their page through
a ``before_request`` hook (``code_page`` / ``service_page``), every other client the JSON
handler, untouched. Both answers carry ``Vary: Accept`` (``VaryAccept``).

(Somewhat over 400 lines: one page builder per page, each small; the templates hold the rest.)
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable, Iterable
from http import HTTPStatus
from pathlib import Path
from typing import Any

import swagger_ui_bundle
from litestar import MediaType, Request, Response, Router, get
from litestar.datastructures import CacheControlHeader
from litestar.datastructures.headers import MediaTypeHeader
from litestar.enums import ScopeType
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app.api.common import parse_int, per_snapshot
from app.catalogue.errors import InvalidFilter, InvalidInteger
from app.catalogue.integrity import integrity_report
from app.catalogue.integrity_rules import Finding, IntegrityReport
from app.catalogue.model import NAMESPACES, Entry, RangeRef, Section, Snapshot
from app.catalogue.query import (
    describe_ranges,
    filter_entries,
    find_section,
    lookup,
    nearest_ranges,
    ranges_containing,
    status_counts,
)
from app.live import LiveCatalogue

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
SWAGGER_UI_DIR = Path(str(swagger_ui_bundle.swagger_ui_path))
SWAGGER_UI_URL = "/vendor/swagger-ui"

# No inline script, no other host, never framed. Swagger UI's stylesheet draws its icons as
# data: images, so the API reference allows those (and nothing else more).
PAGE_CSP = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": PAGE_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
MAX_Q = 200
EXAMPLE_REQUEST_ID = "req_3f2a9c1e5b7d4a60c2e8f1b3"

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


class VaryAccept:
    """``Vary: Accept`` on every answer of a negotiated route, merged with what is there.

    An ASGI wrapper around the application rather than a response hook: Litestar's CORS
    middleware sets ``Vary: Origin`` over any earlier value, so a hook's ``Vary: Accept`` was
    lost on cross-origin requests (caches could then hand a browser JSON, or a client HTML).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return

        async def send_with_vary(message: Message) -> None:
            if (
                message["type"] == "http.response.start"
                and scope.get("path_template") in NEGOTIATED_ROUTES
            ):
                headers = list(message.get("headers", ()))
                vary = [
                    part.strip()
                    for k, v in headers
                    if k.lower() == b"vary"
                    for part in v.split(b",")
                    if part.strip()
                ]
                if b"accept" not in {part.lower() for part in vary}:
                    vary.append(b"Accept")
                headers = [(k, v) for k, v in headers if k.lower() != b"vary"]
                message = {**message, "headers": [*headers, (b"vary", b", ".join(vary))]}
            await send(message)

        await self.app(scope, receive, send_with_vary)


# --- what the pages show, derived once per snapshot -------------------------------------------


class PageData:
    """Everything the pages derive from one snapshot (the integrity report above all)."""

    def __init__(self, snap: Snapshot) -> None:
        self.snap = snap
        self.report: IntegrityReport = integrity_report(snap)
        self.section_keys = {(s.name, s.namespace): s.key for s in snap.sections}
        counts = status_counts(snap)
        classes = sorted({s // 100 for s in counts})
        self.status_options = [(f"{c}xx", f"{c}xx (every {c}xx status)") for c in classes] + [
            (str(s), f"{s} {status_phrase(s)} ({n})") for s, n in counts.items()
        ]
        self.service_options = [
            (s.key, s.name if s.namespace == "platform" else f"{s.name} ({s.namespace})")
            for s in snap.sections
        ]

    def service_key(self, entry: Entry) -> str:
        return self.section_keys[(entry.service, entry.namespace)]

    def section_key(self, name: str) -> str | None:
        section = find_section(self.snap, name)
        return section.key if section is not None else None

    def range_key(self, rng: RangeRef) -> str | None:
        return self.section_key(rng.service)

    def findings_for_code(self, code: int) -> list[Finding]:
        return [f for f in self.report.findings if code in f.codes]

    def findings_for_section(self, section: Section) -> list[Finding]:
        return [f for f in self.report.findings if section.name in f.sections]


page_data = per_snapshot(PageData)


def status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def example_envelope(entry: Entry) -> str:
    """The error envelope the platform sends for ``entry``, as JSON (the request id is made up)."""
    body: dict[str, dict[str, Any]] = {
        "error": {
            "message": entry.description,
            "code": entry.code,
            "slug": entry.slug,
            "status": entry.status,
            "request_id": EXAMPLE_REQUEST_ID,
            "errors": [],
        }
    }
    return json.dumps(body, indent=2, ensure_ascii=False)


def _page(
    name: str, context: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Template:
    return Template(
        template_name=name,
        context=context,
        status_code=status,
        media_type=MediaType.HTML,
        headers=headers or SECURITY_HEADERS,
    )


def _base_context(data: PageData, active: str = "") -> dict[str, Any]:
    return {"data": data, "version": data.snap.version, "active": active}


# --- the pages --------------------------------------------------------------------------------


def catalogue_page(snap: Snapshot, params: dict[str, str]) -> Template:
    data = page_data(snap)
    form = {k: params.get(k, "").strip() for k in ("q", "status", "service")}
    error = None
    entries: tuple[Entry, ...] = ()
    if len(form["q"]) > MAX_Q:
        error = f"The search text is {len(form['q'])} characters long; at most {MAX_Q} are read."
    else:
        try:
            entries = filter_entries(snap, **{k: v for k, v in form.items() if v})
        except InvalidFilter as exc:
            error = exc.reason
    service = find_section(snap, form["service"]) if form["service"] else None
    context = {
        **_base_context(data, "catalogue"),
        "form": form,
        "selected_service": service.key if service else form["service"],
        "entries": entries,
        "filtered": any(form.values()),
        "error": error,
        "counts": data.report.counts,
    }
    return _page("catalogue.html", context, 400 if error else 200)


def findings_page(snap: Snapshot) -> Template:
    data = page_data(snap)
    return _page(
        "findings.html",
        {**_base_context(data, "findings"), "report": data.report},
    )


def code_page(snap: Snapshot, raw: str, namespace: str | None) -> Template:
    data = page_data(snap)
    try:
        number = parse_int(raw, "code")  # the API's own rule, so both answers agree
    except InvalidInteger:
        return _page(
            "problem.html",
            {
                **_base_context(data),
                "title": "Not a code number",
                "detail": f"“{raw[:40]}” is not a code number: codes are whole numbers, e.g. 1205.",
            },
            400,
            SECURITY_HEADERS,
        )
    entries = lookup(snap, number, namespace)
    ranges = ranges_containing(snap, number)
    context = {
        **_base_context(data),
        "code": number,
        "entries": entries,
        "ranges": ranges,
        "namespace": namespace,
    }
    if not entries:
        context["elsewhere"] = sorted({e.namespace for e in lookup(snap, number)})
        context["nearest"] = () if ranges else nearest_ranges(snap, number)
        context["ranges_text"] = describe_ranges(ranges or context["nearest"])
        return _page("code_missing.html", context, 404, SECURITY_HEADERS)
    context["findings"] = data.findings_for_code(number)
    context["envelopes"] = [example_envelope(e) for e in entries]
    return _page("code.html", context, 200, SECURITY_HEADERS)


def service_page_for(snap: Snapshot, raw: str) -> Template:
    data = page_data(snap)
    name = raw.lstrip("/")
    section = find_section(snap, name)
    if section is None:
        return _page(
            "problem.html",
            {
                **_base_context(data),
                "title": "No such service",
                "detail": f"No service is named “{name[:60]}”. "
                "The catalogue page lists every service in its Service filter.",
            },
            404,
            SECURITY_HEADERS,
        )
    context = {
        **_base_context(data),
        "section": section,
        "entries": section.entries,
        "findings": data.findings_for_section(section),
    }
    return _page("service.html", context, 200, SECURITY_HEADERS)


BeforeRequest = Callable[[Request[Any, Any, Any]], Awaitable[Response[Any] | None]]


def code_page_hook(live: LiveCatalogue) -> BeforeRequest:
    """before_request of GET /codes/{code}: the page for a browser, None (JSON) for the rest."""

    async def hook(request: Request[Any, Any, Any]) -> Response[Any] | None:
        if not prefers_html(request.scope["headers"]):
            return None
        namespace = request.query_params.get("namespace")
        if namespace is not None and namespace not in NAMESPACES:
            return None  # the JSON handler explains the bad parameter
        return code_page(live.snapshot, request.path_params["code"], namespace)

    return hook


def service_page_hook(live: LiveCatalogue) -> BeforeRequest:
    """before_request of GET /services/{service}: the page for a browser, None for the rest."""

    async def hook(request: Request[Any, Any, Any]) -> Response[Any] | None:
        if not prefers_html(request.scope["headers"]):
            return None
        return service_page_for(live.snapshot, request.path_params["service"])

    return hook


def build_router(live: LiveCatalogue) -> Router:
    @get("/", sync_to_thread=False, media_type=MediaType.HTML)
    def index(request: Request[Any, Any, Any]) -> Template:
        return catalogue_page(live.snapshot, dict(request.query_params))

    @get("/findings", sync_to_thread=False, media_type=MediaType.HTML)
    def findings() -> Template:
        return findings_page(live.snapshot)

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
