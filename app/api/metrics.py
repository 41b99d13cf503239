"""GET /metrics: Prometheus metrics, optionally behind the operator's bearer token."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from app.api.auth import check_bearer
from app.api.common import error_responses
from app.live import LiveCatalogue
from app.observability import CatalogueCollector

# CONTENT_TYPE_LATEST already ends in "; charset=utf-8", which Litestar appends to any text/
# media type a second time: give it the type without the charset.
METRICS_MEDIA_TYPE = CONTENT_TYPE_LATEST.split("; charset")[0]


def build_metrics_router(live: LiveCatalogue, token: str | None = None) -> Router:
    catalogue_registry = CollectorRegistry(auto_describe=True)
    catalogue_registry.register(CatalogueCollector(live))

    @get(
        "/metrics",
        sync_to_thread=False,
        media_type=METRICS_MEDIA_TYPE,
        summary="Prometheus metrics, in the text exposition format",
        description="With METRICS_TOKEN set, it needs `Authorization: Bearer <token>` (else 401).",
        responses=error_responses(401),
    )
    def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
        if token:
            check_bearer(request, token, "GET /metrics", "METRICS_TOKEN", realm="metrics")
        body = generate_latest(REGISTRY) + generate_latest(catalogue_registry)
        return Response(body, media_type=METRICS_MEDIA_TYPE)

    return Router(path="/", route_handlers=[metrics], tags=["operations"])
