"""GET /services and GET /services/{service}: the page's sections with their ranges."""

from __future__ import annotations

from typing import Annotated

from litestar import Router, get
from litestar.params import PathParameter

from app.api.common import CACHEABLE, NamespaceParam, error_responses
from app.api.pages import service_page_hook
from app.api.schemas import SECTION_SUMMARY_FIELDS, ServiceList, ServiceSummary
from app.catalogue.errors import ServiceNotFound
from app.catalogue.model import Section
from app.catalogue.query import find_section
from app.live import LiveCatalogue


def _summary(s: Section) -> ServiceSummary:  # type: ignore[valid-type]
    fields = {name: getattr(s, name) for name in SECTION_SUMMARY_FIELDS}
    return ServiceSummary(**fields, entry_count=len(s.entries))


def build_router(live: LiveCatalogue) -> Router:
    @get(
        "/services",
        sync_to_thread=False,
        opt=CACHEABLE,
        summary="Every section (service) of the page, in the page's order",
        responses=error_responses(400),
    )
    def list_services(namespace: NamespaceParam = None) -> ServiceList:
        items = tuple(
            _summary(s)
            for s in live.snapshot.sections
            if namespace is None or s.namespace == namespace
        )
        return ServiceList(items=items, total=len(items))

    @get(
        "/services/{service:path}",
        sync_to_thread=False,
        opt=CACHEABLE,
        summary="One service: its heading range, the declared ranges naming it, its entries",
        description="Accepts the printed name (`Auth_Config`, `Prisma/Database` URL-encoded) "
        "or its URL-friendly key (`auth-config`, `prisma-database`).",
        responses=error_responses(400, 404),
        # A browser (Accept ranking text/html first) gets the service's page: app.api.pages.
        before_request=service_page_hook(live),
    )
    def get_service(
        service: Annotated[str, PathParameter(description="Auth_Config or auth-config")],
    ) -> Section:
        # A path parameter, so that a printed name with a slash (Prisma/Database) is accepted.
        service = service.lstrip("/")
        section = find_section(live.snapshot, service)
        if section is None:
            raise ServiceNotFound(service)
        return section

    return Router(path="/", route_handlers=[list_services, get_service], tags=["services"])
