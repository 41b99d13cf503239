"""GET /catalogue, /catalogue/report, /catalogue/revisions, /catalogue/changes."""

from __future__ import annotations

from typing import Annotated

from litestar import Router, get
from litestar.params import QueryParameter

from app.api.common import CACHEABLE, error_responses, store_access
from app.api.schemas import CatalogueCounts, CatalogueInfo, RevisionList
from app.catalogue.diff import CatalogueDiff
from app.catalogue.integrity import integrity_report
from app.catalogue.integrity_rules import IntegrityReport
from app.catalogue.model import Snapshot
from app.db import store
from app.live import LiveCatalogue
from app.revisions import revision_changes


def _info(snap: Snapshot) -> CatalogueInfo:
    doc = snap.head
    return CatalogueInfo(
        version=snap.version,
        source=doc.source,
        counts=CatalogueCounts(
            ranges=len(snap.ranges),
            sections=len(snap.sections),
            entries=len(snap.entries),
            error_types=len(doc.error_types),
            envelope_fields=len(doc.envelope),
        ),
    )


def build_router(live: LiveCatalogue) -> Router:

    @get(
        "/catalogue",
        sync_to_thread=False,
        opt=CACHEABLE,
        summary="The catalogue being served: its version (revision, content hash) and counts",
        responses=error_responses(),
    )
    def get_catalogue() -> CatalogueInfo:
        return live.derived(live.snapshot, _info)

    @get(
        "/catalogue/report",
        sync_to_thread=False,
        opt=CACHEABLE,
        summary="Integrity report: every place where the catalogue contradicts itself",
        responses=error_responses(),
    )
    def get_report() -> IntegrityReport:
        return live.derived(live.snapshot, integrity_report)

    # Revisions and changes read the store of record: rare, operator-facing questions.
    @get(
        "/catalogue/revisions",
        summary="Every stored revision, oldest first",
        responses=error_responses(503),
    )
    async def list_revisions() -> RevisionList:
        async with store_access(live.timeout, live):
            items = tuple(await store.bounded(store.list_revisions(live.engine), live.timeout))
        return RevisionList(items=items, total=len(items))

    @get(
        "/catalogue/changes",
        summary="What changed between two revisions: entries added, removed, changed",
        description="`to` defaults to the newest revision. Breaking changes are listed too.",
        responses=error_responses(400, 404, 503),
    )
    async def get_changes(
        start: Annotated[
            int, QueryParameter(name="from", ge=1, le=2**31 - 1, description="A revision")
        ],
        to: Annotated[
            int | None, QueryParameter(ge=1, le=2**31 - 1, description="Default: the newest")
        ] = None,
    ) -> CatalogueDiff:
        async with store_access(live.timeout, live):
            changes = await store.bounded(revision_changes(live.engine, start, to), live.timeout)
        return changes.diff

    return Router(
        path="/",
        route_handlers=[get_catalogue, get_report, list_revisions, get_changes],
        tags=["catalogue"],
    )
