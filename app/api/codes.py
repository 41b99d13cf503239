"""GET /codes and GET /codes/{code}: entries by number, and filtered listings."""

from __future__ import annotations

from typing import Annotated

from litestar import Router, get
from litestar.params import PathParameter, QueryParameter

from app.api.common import (
    CACHEABLE,
    INTEGER_SCHEMA,
    NamespaceParam,
    error_responses,
    parse_int,
    raise_filter_error,
)
from app.api.errors import CatalogueError
from app.api.schemas import CodeLookup, EntryPage
from app.catalogue.query import FilterError, filter_entries, lookup, ranges_containing
from app.catalogue.undocumented import undocumented
from app.live import LiveCatalogue

MAX_LIMIT = 500


def build_router(live: LiveCatalogue) -> Router:
    @get(
        "/codes/{code:str}",
        sync_to_thread=False,
        opt=CACHEABLE,
        summary="Every documented entry for one code number",
        description=(
            "A number listed twice on the page answers both entries. By default the lookup "
            "spans all namespaces; `namespace` narrows it."
        ),
        responses=error_responses(400, 404),
    )
    def get_code(
        code: Annotated[
            str,
            PathParameter(description="The code number, e.g. 1205", schema_extra=INTEGER_SCHEMA),
        ],
        namespace: NamespaceParam = None,
    ) -> CodeLookup:
        snap = live.snapshot
        number = parse_int(code, "code")
        entries = lookup(snap, number, namespace)
        ranges = ranges_containing(snap, number)
        if not entries:
            answer = undocumented(snap, number, namespace)
            raise CatalogueError(
                404,
                answer.message,
                suggested_fix=answer.suggested_fix,
                prefer="ResourceNotFound",
            )
        return CodeLookup(code=number, entries=entries, ranges=ranges)

    @get(
        "/codes",
        sync_to_thread=False,
        opt=CACHEABLE,
        summary="List entries, filtered and paginated",
        description=(
            "Filters combine. `status` takes an exact status (404) or a class (4xx); `q` "
            "searches name, description and service, ignoring case. Sorted by code, then service."
        ),
        responses=error_responses(400),
    )
    def list_codes(
        status: Annotated[
            str | None,
            QueryParameter(
                description="404, or a class such as 4xx",
                schema_extra={"pattern": r"^\s*([1-5][0-9][0-9]|[1-5][xX][xX])?\s*$"},
            ),
        ] = None,
        service: Annotated[
            str | None, QueryParameter(description="Auth_Config or auth-config")
        ] = None,
        namespace: NamespaceParam = None,
        name: Annotated[
            str | None, QueryParameter(description="Exact entry name, any case")
        ] = None,
        slug: Annotated[
            str | None, QueryParameter(description="<Service>_<Name>, any case")
        ] = None,
        q: Annotated[str | None, QueryParameter(description="Text search", max_length=200)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = 100,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> EntryPage:
        # Dashboards send unset filters as empty parameters (?service=): they filter nothing.
        filters = {"status": status, "service": service, "name": name, "slug": slug, "q": q}
        try:
            found = filter_entries(
                live.snapshot,
                namespace=namespace,
                **{k: v for k, v in filters.items() if v is not None and v.strip()},
            )
        except FilterError as exc:
            raise_filter_error(exc)
        return EntryPage(
            items=found[offset : offset + limit], total=len(found), limit=limit, offset=offset
        )

    return Router(path="/", route_handlers=[get_code, list_codes], tags=["codes"])
