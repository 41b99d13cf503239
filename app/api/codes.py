"""GET /codes, GET /codes/{code}, POST /codes/lookup: entries by number, filtered listings."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Router, get, post
from litestar.openapi.spec import (
    Example,
    OpenAPIMediaType,
    OpenAPIType,
    RequestBody,
    Schema,
)
from litestar.params import PathParameter, QueryParameter

from app.api.bodies import documented_body, read_body, require_media_type
from app.api.common import (
    CACHEABLE,
    INTEGER_SCHEMA,
    MAX_OFFSET,
    TEXT_FILTER_SCHEMA,
    NamespaceParam,
    error_responses,
    parse_int,
)
from app.api.errors import CatalogueError
from app.api.pages import code_page_hook
from app.api.schemas import CodeLookup, EntryPage
from app.catalogue.bulk import (
    EXAMPLE_BODY,
    MAX_BULK,
    MAX_CODE,
    BulkLookupResult,
    bulk_lookup,
    parse_bulk_request,
)
from app.catalogue.guidance import ACTIONS
from app.catalogue.model import Snapshot
from app.catalogue.query import filter_entries, find_code, ranges_containing
from app.live import LiveCatalogue

MAX_LIMIT = 500


# POST /codes/lookup reads its body itself (strict integers, errors naming the index), so
# Litestar cannot infer the request body for the OpenAPI document: this is it.
_LOOKUP_BODY = RequestBody(
    required=True,
    description=f"The numbers to look up: at most {MAX_BULK}",
    content={
        "application/json": OpenAPIMediaType(
            schema=Schema(
                type=OpenAPIType.OBJECT,
                title="BulkLookupRequest",
                required=["codes"],
                additional_properties=False,
                properties={
                    "codes": Schema(
                        type=OpenAPIType.ARRAY,
                        items=Schema(type=OpenAPIType.INTEGER, minimum=0, maximum=MAX_CODE),
                        max_items=MAX_BULK,
                        description="JSON integers (not strings, not negative), answered in "
                        "this order",
                    ),
                    "namespace": Schema(
                        one_of=[
                            Schema(type=OpenAPIType.STRING, enum=["platform", "thermos"]),
                            Schema(type=OpenAPIType.NULL),
                        ],
                        description="Narrow every lookup to one namespace",
                    ),
                },
            ),
            examples={"lookup": Example(value=EXAMPLE_BODY)},
        )
    },
)


def _parse_codes(raw: list[str]) -> frozenset[int] | None:
    """``?code=`` values (repeatable): None when none is given (empty ones filter nothing)."""
    if len(raw) > MAX_BULK:
        raise CatalogueError(
            400,
            f"At most {MAX_BULK} code parameters; the request has {len(raw)}",
            errors=[f"code: {len(raw)} values, at most {MAX_BULK}"],
            suggested_fix=f"POST /codes/lookup takes up to {MAX_BULK} codes in a JSON body.",
        )
    given = [value for value in raw if value.strip()]
    return frozenset(parse_int(value, "code") for value in given) if given else None


def code_lookup(snap: Snapshot, code: str, namespace: str | None = None) -> CodeLookup:
    """GET /codes/{code}'s answer; also computed before routing (app.api.response_cache)."""
    number = parse_int(code, "code")
    entries = find_code(snap, number, namespace)
    return CodeLookup(code=number, entries=entries, ranges=ranges_containing(snap, number))


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
        # A browser (Accept ranking text/html first) gets the code's page instead: app.api.pages.
        before_request=code_page_hook(live),
    )
    def get_code(
        code: Annotated[
            str,
            PathParameter(description="The code number, e.g. 1205", schema_extra=INTEGER_SCHEMA),
        ],
        namespace: NamespaceParam = None,
    ) -> CodeLookup:
        return code_lookup(live.snapshot, code, namespace)

    @get(
        "/codes",
        sync_to_thread=False,
        opt=CACHEABLE,
        summary="List entries, filtered and paginated",
        description=(
            "Filters combine. `status` takes an exact status (404) or a class (4xx); `q` "
            "finds a code number exactly (1205) or searches name, description, service and slug, "
            "ignoring case; `code` (repeatable: "
            "`?code=1205&code=1800`) keeps exactly those numbers; `action` and `retryable` "
            "select by guidance (docs/guidance.md). Sorted by code, then service. One rule for "
            "every filter: a well-formed value that matches nothing (an unknown service, name or "
            "slug, a status no entry has) answers 200 with no items; a malformed value answers "
            "400: a status that is not 100-599 or a class 1xx-5xx (ASCII digits only), text over "
            "200 characters or with control characters, a namespace other than platform or "
            "thermos, an action outside the vocabulary, a limit or offset out of range. An empty "
            "value filters nothing."
        ),
        responses=error_responses(400),
    )
    def list_codes(
        status: Annotated[
            str | None,
            QueryParameter(
                description="404, or a class such as 4xx (ASCII digits; 400 otherwise)",
                schema_extra={"pattern": r"^[ \t]*([1-5][0-9][0-9]|[1-5][xX][xX])?[ \t]*$"},
            ),
        ] = None,
        service: Annotated[
            str | None,
            QueryParameter(
                description="Auth_Config or auth-config; an unknown service matches nothing",
                schema_extra=TEXT_FILTER_SCHEMA,
            ),
        ] = None,
        namespace: NamespaceParam = None,
        name: Annotated[
            str | None,
            QueryParameter(
                description="Exact entry name, any case", schema_extra=TEXT_FILTER_SCHEMA
            ),
        ] = None,
        slug: Annotated[
            str | None,
            QueryParameter(
                description="<Service>_<Name>, any case", schema_extra=TEXT_FILTER_SCHEMA
            ),
        ] = None,
        q: Annotated[
            str | None,
            QueryParameter(description="A code number, or text", schema_extra=TEXT_FILTER_SCHEMA),
        ] = None,
        action: Annotated[
            str | None,
            QueryParameter(
                description="What to do about it (docs/guidance.md), e.g. reconnect_account",
                schema_extra={"enum": [*ACTIONS, ""]},
            ),
        ] = None,
        retryable: Annotated[
            str | None,
            QueryParameter(
                description="true or false: whether the same request may succeed if sent again",
                schema_extra={"enum": ["true", "false", "1", "0", ""]},
            ),
        ] = None,
        origin: Annotated[
            str | None,
            QueryParameter(
                description="page or amendment: which source documents the entry "
                "(docs/amendments.md)",
                schema_extra={"enum": ["page", "amendment", ""]},
            ),
        ] = None,
        code: Annotated[
            list[str] | None,
            QueryParameter(
                description=f"Code numbers to keep, repeatable (at most {MAX_BULK}): "
                "?code=1205&code=1800",
                # Applies to the array: each value is what parse_int accepts (empty: ignored).
                schema_extra={
                    "items": {"type": "string", "pattern": r"^[ \t]*([0-9]{1,18})?[ \t]*$"},
                    "maxItems": MAX_BULK,
                },
            ),
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = 100,
        offset: Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET)] = 0,
    ) -> EntryPage:
        # Dashboards send unset filters as empty parameters (?service=): they filter nothing.
        filters = {
            "status": status,
            "service": service,
            "name": name,
            "slug": slug,
            "q": q,
            "action": action,
            "retryable": retryable,
            "origin": origin,
        }
        found = filter_entries(
            live.snapshot,
            namespace=namespace,
            **{k: v for k, v in filters.items() if v is not None and v.strip(" \t")},
        )
        wanted = _parse_codes(code or [])
        if wanted is not None:
            found = tuple(e for e in found if e.code in wanted)
        return EntryPage(
            items=found[offset : offset + limit], total=len(found), limit=limit, offset=offset
        )

    @post(
        "/codes/lookup",
        status_code=200,
        summary="Look up many codes at once: each one's entries, or where it lies",
        description=(
            f'The body is {{"codes": [1205, 1810, 99999]}}: at most {MAX_BULK} JSON integers, '
            "and optionally `namespace`. Answers one item per number, in request order: its "
            "entries (both, for a number the page lists twice), `documented`, the declared "
            "`ranges` containing it and, for an undocumented number in no range, the "
            "`nearest_ranges`. A non-integer is a 400 naming its index."
        ),
        responses=error_responses(400, 413, 415),
        operation_class=documented_body(_LOOKUP_BODY),
    )
    async def lookup_codes(request: Request[Any, Any, Any]) -> BulkLookupResult:
        require_media_type(request, "application/json")
        body = parse_bulk_request(await read_body(request, what="lookup body"))
        return bulk_lookup(live.snapshot, body.codes, body.namespace)

    return Router(path="/", route_handlers=[get_code, list_codes, lookup_codes], tags=["codes"])
