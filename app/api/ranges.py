"""GET /ranges and GET /ranges/resolve: declared ranges, and what any number belongs to."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

from litestar import Router, get
from litestar.params import QueryParameter

from app.api.common import (
    CACHEABLE,
    INTEGER_SCHEMA,
    NamespaceParam,
    error_responses,
    parse_int,
)
from app.api.schemas import RangeList, RangeResolution, RangeSection, RangeSummary
from app.catalogue.model import Snapshot
from app.catalogue.query import entries_in_range, resolve_number
from app.live import LiveCatalogue


def _range_list(snap: Snapshot) -> RangeList:
    items = []
    for rng in snap.ranges:
        inside = entries_in_range(snap, rng)
        per_section = Counter(e.service for e in inside)
        items.append(
            RangeSummary(
                start=rng.start,
                end=rng.end,
                service=rng.service,
                sections=tuple(RangeSection(service=s, entries=n) for s, n in per_section.items()),
                entry_count=len(inside),
            )
        )
    return RangeList(items=tuple(items), total=len(items))


def build_router(live: LiveCatalogue) -> Router:

    @get(
        "/ranges",
        sync_to_thread=False,
        opt=CACHEABLE,
        summary="The declared ranges, each with the sections and entry counts inside it",
        responses=error_responses(),
    )
    def list_ranges() -> RangeList:
        return live.derived(live.snapshot, _range_list)

    @get(
        "/ranges/resolve",
        sync_to_thread=False,
        opt=CACHEABLE,
        summary="Which declared range(s) contain a number, and what is documented for it",
        description=(
            "For codes a live API answers that the page does not list (e.g. 1810): the range "
            "tells which service owns it. A number in no range and documented nowhere is a 404 "
            "naming the nearest ranges."
        ),
        responses=error_responses(400, 404),
    )
    def resolve_range(
        code: Annotated[
            str,
            QueryParameter(
                description="Any code number (ASCII digits), e.g. 1810",
                schema_extra=INTEGER_SCHEMA,
            ),
        ],
        namespace: NamespaceParam = None,
    ) -> RangeResolution:
        snap = live.snapshot
        number = parse_int(code, "code", example=1810)
        ranges, entries = resolve_number(snap, number, namespace)
        return RangeResolution(
            code=number, ranges=ranges, entries=entries, documented=bool(entries)
        )

    return Router(path="/", route_handlers=[list_ranges, resolve_range], tags=["ranges"])
