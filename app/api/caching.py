"""Conditional GETs for the catalogue routes: ETag from the catalogue version, 304 on a match.

Every answer of a route marked ``CACHEABLE`` is a function of the loaded catalogue alone, so the
catalogue's version is a valid (weak) validator for all of them; a matching If-None-Match is
answered here, before the handler runs. ``no-cache`` lets dashboards keep answers but makes them
revalidate, so a new revision is seen at once.
"""

from __future__ import annotations

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import request_id
from app.live import LiveCatalogue

CACHE_CONTROL = b"public, no-cache"


def _matches(if_none_match: bytes, etag: bytes) -> bool:
    if if_none_match.strip() == b"*":
        return True
    opaque = etag.removeprefix(b"W/")
    return any(tag.strip().removeprefix(b"W/") == opaque for tag in if_none_match.split(b","))


class ConditionalGetMiddleware:
    def __init__(self, app: ASGIApp, live: LiveCatalogue) -> None:
        self.app = app
        self.live = live

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        snap = self.live.loaded
        handler = scope.get("route_handler")
        if (
            snap is None
            or scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or handler is None
            or not handler.opt.get("cacheable")
        ):
            await self.app(scope, receive, send)
            return
        etag = snap.etag.encode()
        if_none_match = next((v for k, v in scope["headers"] if k == b"if-none-match"), None)
        if if_none_match is not None and _matches(if_none_match, etag):
            headers = [
                (b"etag", etag),
                (b"cache-control", CACHE_CONTROL),
                (b"x-request-id", request_id(scope).encode()),
            ]
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_etag(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                message["headers"] = [
                    *message.get("headers", ()),
                    (b"etag", etag),
                    (b"cache-control", CACHE_CONTROL),
                ]
            await send(message)

        await self.app(scope, receive, send_with_etag)
