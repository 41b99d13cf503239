"""GET /error-types and GET /error-types/{type}: Thermos's string error types."""

from __future__ import annotations

from typing import Annotated

from litestar import Router, get
from litestar.params import PathParameter

from app.api.common import CACHEABLE, error_responses
from app.api.schemas import ErrorTypeList
from app.catalogue.errors import ErrorTypeNotFound
from app.catalogue.model import ErrorType
from app.live import LiveCatalogue


def build_router(live: LiveCatalogue) -> Router:
    @get(
        "/error-types",
        sync_to_thread=False,
        opt=CACHEABLE,
        summary="Thermos's string error types (json_decode, action_not_found, ...)",
        responses=error_responses(),
    )
    def list_error_types() -> ErrorTypeList:
        items = live.snapshot.error_types
        return ErrorTypeList(items=items, total=len(items))

    @get(
        "/error-types/{error_type:str}",
        sync_to_thread=False,
        opt=CACHEABLE,
        summary="One Thermos error type",
        responses=error_responses(400, 404),
    )
    def get_error_type(
        error_type: Annotated[str, PathParameter(description="e.g. json_decode")],
    ) -> ErrorType:
        found = live.snapshot.error_type_index.get(error_type)
        if found is None:
            raise ErrorTypeNotFound(error_type)
        return found

    return Router(path="/", route_handlers=[list_error_types, get_error_type], tags=["error types"])
