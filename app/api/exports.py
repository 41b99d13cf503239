"""GET /catalogue.json, /catalogue.md, /catalogue.csv, /exports/python, /exports/typescript.

Thin: the bytes come from ``app.catalogue.export.render_export``, rendered once per snapshot
and answered from memory; the catalogue's ETag validates them (304 on a match) like every other
catalogue answer.
"""

from __future__ import annotations

from typing import NamedTuple

from litestar import Response, Router, get
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec

from app.api.common import CACHEABLE, error_responses
from app.catalogue.export import CatalogueExport, render_export
from app.catalogue.model import Snapshot
from app.live import LiveCatalogue


# Litestar appends "; charset=utf-8" to text/* types itself.
class _Export(NamedTuple):
    path: str
    fmt: str
    media_type: str
    disposition: str
    summary: str


EXPORTS = (
    _Export(
        "/catalogue.json",
        "json",
        "application/json",
        'inline; filename="errcat-catalogue.json"',
        "The whole catalogue as JSON: ranges, sections with their entries, error types, envelope",
    ),
    _Export(
        "/catalogue.md",
        "md",
        "text/markdown",
        'inline; filename="errcat-catalogue.md"',
        "The catalogue as Markdown, in the layout of the vendor's page, every row as printed",
    ),
    _Export(
        "/catalogue.csv",
        "csv",
        "text/csv; header=present",
        'attachment; filename="errcat-catalogue.csv"',
        "One CSV row per entry, with a header row",
    ),
    _Export(
        "/exports/python",
        "python",
        "text/x-python",
        'attachment; filename="errcat_codes.py"',
        "A Python module to vendor: one constant per entry, with its details",
    ),
    _Export(
        "/exports/typescript",
        "typescript",
        "application/typescript; charset=utf-8",
        'attachment; filename="errcat_codes.ts"',
        "A TypeScript module to vendor: one constant per entry, with its details",
    ),
)

_DESCRIPTION = (
    "Generated from the catalogue being served; the same revision always gives the same bytes "
    "(`errcat export --format {fmt}` writes them too). README: Exports."
)


def _handler(live: LiveCatalogue, export: _Export) -> HTTPRouteHandler:
    def render(snap: Snapshot) -> bytes:
        return render_export(snap, export.fmt)

    headers = {"Content-Disposition": export.disposition}
    ok = ResponseSpec(
        data_container=CatalogueExport if export.fmt == "json" else str,
        media_type=export.media_type,
        generate_examples=False,
        description=export.summary,
    )

    def answer() -> Response[bytes]:
        return Response(
            live.derived(live.snapshot, render), media_type=export.media_type, headers=headers
        )

    return get(
        export.path,
        name=f"export-{export.fmt}",
        sync_to_thread=False,
        opt=CACHEABLE,
        summary=export.summary,
        description=_DESCRIPTION.format(fmt=export.fmt),
        media_type=export.media_type,
        responses={200: ok, **error_responses()},
    )(answer)


def build_router(live: LiveCatalogue) -> Router:
    return Router(path="/", route_handlers=[_handler(live, e) for e in EXPORTS], tags=["exports"])
