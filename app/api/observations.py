"""POST /observations (ingest decoded error bodies), GET /observations, GET /observations/drift.

Ingestion is off (404 in the envelope) unless INGEST_TOKEN is set; then it needs
``Authorization: Bearer <token>``. The handler decodes, hands the keys to app.observations' group
commit and answers 202 once they are committed (503 when they could not be). The listings read
the database. docs/observations.md is the reference.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Annotated, Any

import msgspec
from litestar import Request, Router, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    Example,
    OpenAPIMediaType,
    Reference,
    RequestBody,
    Schema,
)
from litestar.params import QueryParameter

from app.api.auth import check_bearer
from app.api.bodies import documented_body, read_body, require_media_type
from app.api.common import error_responses, store_access
from app.api.errors import CatalogueError, ErrorEnvelope
from app.catalogue.decode import MAX_INPUT_BYTES
from app.catalogue.drift import DriftReport, Observation, drift
from app.catalogue.jsondoc import decode_json
from app.catalogue.model import Snapshot
from app.db import observation_store, store
from app.live import LiveCatalogue
from app.observation_batch import Key, Outcome
from app.observations import (
    MAX_BATCH_ITEMS,
    GroupCommit,
    NotCommitted,
    as_body,
    decode_batch,
)
from app.settings import Settings

MAX_LIMIT = 500
# The drift report is kept this long: several dashboards polling it cost one comparison.
DRIFT_REPORT_SECONDS = 2.0


class IngestResult(msgspec.Struct, frozen=True):
    accepted: int  # bodies decoded and counted: committed to the database


class ObservationPage(msgspec.Struct, frozen=True):
    items: tuple[Observation, ...]
    total: int  # distinct keys stored
    limit: int
    offset: int
    overflow: int  # observations not stored because the table was full


# errcat's own 401 (HTTP_Unauthorized, as query.http_error_identity gives; the API test checks)
_UNAUTHORIZED_EXAMPLE = Example(
    summary="Unauthorized",
    value={
        "error": {
            "message": "POST /observations needs a bearer token",
            "code": 10401,
            "slug": "HTTP_Unauthorized",
            "status": 401,
            "request_id": "req_3f2a9c1e5b7d4a60c2e8f1b3",
            "suggested_fix": "Send Authorization: Bearer <INGEST_TOKEN>.",
            "errors": [],
        }
    },
)

_BATCH_EXAMPLES: dict[str, Example | Reference] = {
    "mixed": Example(
        summary="Bodies of any shape, and already decoded tuples",
        value={
            "items": [
                {"error": {"message": "Too many", "code": 10429, "status": 429}},
                "502 Bad Gateway: {'error': {'code': 10502}}",
                {"code": 4302, "slug": "ToolRouterV2_NoActiveConnection", "status": 400},
            ]
        },
    ),
    "array": Example(summary="A bare array works too", value=[{"code": 1803, "status": 400}]),
}


_BATCH_BODY = RequestBody(
    required=True,
    description=(
        f'`{{"items": [...]}}` or a bare JSON array of at most {MAX_BATCH_ITEMS} items: '
        "each an error body (a string, read as text; any other JSON value, read as "
        f"JSON) of at most {MAX_INPUT_BYTES} bytes. Decoded as POST /decode does."
    ),
    content={
        "application/json": OpenAPIMediaType(
            schema=Schema(description="An object with items, or an array"),
            examples=_BATCH_EXAMPLES,
        )
    },
)


def _authorise(request: Request[Any, Any, Any], token: str | None) -> None:
    if token is None:
        raise CatalogueError(
            404,
            "Observation ingestion is off on this errcat",
            suggested_fix="Set INGEST_TOKEN on the service to turn POST /observations on.",
            prefer="URLNotFound",
        )
    check_bearer(request, token, "POST /observations", "INGEST_TOKEN", realm="errcat")


def _bad_batch(message: str, errors: list[str]) -> CatalogueError:
    return CatalogueError(
        400,
        message,
        errors=errors,
        suggested_fix='Send {"items": [...]} (or a JSON array): one error body per item.',
        prefer="BadRequest",
    )


async def _read_batch(request: Request[Any, Any, Any], max_bytes: int) -> list[Any]:
    require_media_type(request, "application/json")
    batch = decode_json(await read_body(request, max_bytes, what="batch of observations"))
    items = batch.get("items") if isinstance(batch, dict) else batch
    if not isinstance(items, list):
        raise _bad_batch("The batch has no list of items", ['body: expected {"items": [...]}'])
    if len(items) > MAX_BATCH_ITEMS:
        raise CatalogueError(
            400,  # like the other count limits (bulk lookup, envelope batches); 413 is for bytes
            f"The batch has {len(items)} items; errcat takes at most {MAX_BATCH_ITEMS}",
            errors=[f"items: more than {MAX_BATCH_ITEMS}"],
            suggested_fix=f"Send at most {MAX_BATCH_ITEMS} bodies per request.",
        )
    return items


async def _decode_request(
    request: Request[Any, Any, Any], snap: Snapshot, max_bytes: int
) -> list[Key]:
    items = await _read_batch(request, max_bytes)
    bodies = [as_body(item) for item in items]
    too_large = [
        f"items[{i}]: {len(b)} bytes; at most {MAX_INPUT_BYTES}"
        for i, b in enumerate(bodies)
        if len(b) > MAX_INPUT_BYTES
    ]
    if too_large:
        raise CatalogueError(
            413,
            f"{len(too_large)} item(s) are larger than the {MAX_INPUT_BYTES} bytes errcat "
            "decodes; nothing in this batch was counted",
            errors=too_large[:20],
            suggested_fix="Cut each body down to the error; send the batch again.",
        )
    # Decoding a large batch is CPU work: off the event loop, over the immutable snapshot.
    return await asyncio.to_thread(decode_batch, snap, bodies)


def _not_committed(exc: NotCommitted, retry_after: int) -> CatalogueError:
    if exc.outcome is Outcome.IN_DOUBT:
        message = (
            f"Whether this batch was stored is unknown: {exc.detail}; it is logged and counted "
            "as in doubt (errcat_observations_in_doubt_total)"
        )
    elif exc.outcome is Outcome.FULL:
        message = f"Too many observations are waiting to be committed ({exc}); nothing was counted"
    else:
        message = f"The batch was not committed: {exc.detail}; nothing was counted"
    return CatalogueError(
        503,
        message,
        suggested_fix=f"Send the batch again after {retry_after} seconds.",
        prefer="ServiceUnavailable",
        headers={"Retry-After": str(retry_after)},
    )


def build_router(live: LiveCatalogue, commits: GroupCommit, settings: Settings) -> Router:
    retry_after = max(1, math.ceil(settings.observations_commit_timeout))
    # Drift reports, kept DRIFT_REPORT_SECONDS: min_count -> (when, the snapshot it was compared
    # with, the report)
    drift_reports: dict[int, tuple[float, Snapshot, DriftReport]] = {}

    @post(
        "/observations",
        status_code=202,
        summary="Count error bodies seen in the wild (a log shipper's batch)",
        description=(
            "Off (404) unless the service has INGEST_TOKEN; then `Authorization: Bearer "
            "<token>` is required (401). Each item is decoded like POST /decode and only its "
            "(code, slug, status, confidence) is counted, never its message or request id. "
            "Answers 202 once they are committed to the database (a group commit: the batch "
            "waits at most OBSERVATIONS_FLUSH_SECONDS for others to join its transaction). 503 "
            "with Retry-After when they could not be committed within "
            "OBSERVATIONS_COMMIT_TIMEOUT, or too many are waiting: nothing of it was counted, "
            "except when the connection broke after COMMIT was sent (in doubt; the message "
            "says so)."
        ),
        responses={
            **error_responses(400, 404, 413, 415),
            401: ResponseSpec(
                data_container=ErrorEnvelope,
                generate_examples=False,
                description="Unauthorized (no or a wrong bearer token), in the error envelope",
                examples=[_UNAUTHORIZED_EXAMPLE],
            ),
        },
        operation_class=documented_body(_BATCH_BODY),
    )
    async def ingest(request: Request[Any, Any, Any]) -> IngestResult:
        _authorise(request, settings.ingest_token)
        with commits.on_the_way():
            keys = await _decode_request(request, live.snapshot, settings.max_body_bytes)
        try:
            await commits.commit(keys)
        except NotCommitted as exc:
            raise _not_committed(exc, retry_after) from None
        return IngestResult(accepted=len(keys))

    @get(
        "/observations",
        summary="What was observed: counts per (code, slug, status, confidence)",
        description=(
            "Most frequent first, from the database. "
            "`overflow` counts observations not stored because the table was full."
        ),
        responses=error_responses(400),
    )
    async def list_observations(
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = 100,
        # Bounded: the database takes the offset as a 64-bit integer (a huge one was a 500).
        offset: Annotated[int, QueryParameter(ge=0, le=2**31 - 1)] = 0,
    ) -> ObservationPage:
        async with store_access(live.timeout, live):
            items, total, overflow = await store.bounded(
                observation_store.list_observations(live.engine, limit, offset), live.timeout
            )
        return ObservationPage(
            items=tuple(items), total=total, limit=limit, offset=offset, overflow=overflow
        )

    @get(
        "/observations/drift",
        summary="Where observations and the catalogue disagree",
        description=(
            "Codes seen but not listed, slugs without a code not listed, slugs that are not "
            "their code's entry's, statuses other than the catalogue's, and entries never seen; "
            "each with the observed counts and the catalogue's view. `min_count` leaves out "
            "what was seen fewer times. `errcat propose` turns this into an amendments draft."
        ),
        responses=error_responses(400),
    )
    async def observation_drift(
        min_count: Annotated[int, QueryParameter(ge=1, le=10**12)] = 1,
    ) -> DriftReport:
        snap = live.snapshot
        now = time.monotonic()
        kept = drift_reports.get(min_count)
        if kept is not None and kept[1] is snap and now - kept[0] < DRIFT_REPORT_SECONDS:
            return kept[2]
        async with store_access(live.timeout, live):
            items, _, _ = await store.bounded(
                observation_store.list_observations(live.engine), live.timeout
            )
        # Off the event loop: 10,000 observed keys take about a second to compare.
        report = await asyncio.to_thread(drift, snap, items, min_count)
        if len(drift_reports) >= 16:
            drift_reports.clear()
        drift_reports[min_count] = (now, snap, report)
        return report

    return Router(
        path="/",
        route_handlers=[ingest, list_observations, observation_drift],
        tags=["observations"],
    )
