"""GET /statuses and GET /statuses/{status}: the HTTP statuses the catalogue uses."""

from __future__ import annotations

from typing import Annotated

from litestar import Router, get
from litestar.params import PathParameter

from app.api.common import CACHEABLE, INTEGER_SCHEMA, error_responses, parse_int
from app.api.page_views import status_phrase
from app.api.schemas import StatusCount, StatusEntries, StatusList
from app.catalogue.errors import StatusNotFound
from app.catalogue.model import Snapshot
from app.catalogue.query import status_counts
from app.live import LiveCatalogue


def _status_list(snap: Snapshot) -> StatusList:
    items = tuple(
        StatusCount(status=s, phrase=status_phrase(s), entries=n)
        for s, n in status_counts(snap).items()
    )
    return StatusList(items=items, total=len(items))


def build_router(live: LiveCatalogue) -> Router:

    @get(
        "/statuses",
        sync_to_thread=False,
        opt=CACHEABLE,
        summary="Each HTTP status the catalogue uses, with its number of entries",
        responses=error_responses(),
    )
    def list_statuses() -> StatusList:
        return live.derived(live.snapshot, _status_list)

    @get(
        "/statuses/{status:str}",
        sync_to_thread=False,
        opt=CACHEABLE,
        summary="The entries documented with one HTTP status",
        responses=error_responses(400, 404),
    )
    def get_status(
        status: Annotated[
            str, PathParameter(description="An HTTP status, e.g. 422", schema_extra=INTEGER_SCHEMA)
        ],
    ) -> StatusEntries:
        number = parse_int(status, "status", example=422)
        entries = tuple(e for e in live.snapshot.entries if e.status == number)
        if not entries:
            raise StatusNotFound(number)
        return StatusEntries(status=number, phrase=status_phrase(number), entries=entries)

    return Router(path="/", route_handlers=[list_statuses, get_status], tags=["statuses"])
