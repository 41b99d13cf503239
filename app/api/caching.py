"""Conditional GETs for the catalogue routes: ETag from the catalogue version, 304 on a match.

Every answer of a route marked ``CACHEABLE`` is a function of the loaded catalogue alone, so the
catalogue's version is a valid (weak) validator for all of them; a 200 answer to a request
whose If-None-Match matches becomes a 304 with no body. ``no-cache`` lets dashboards keep
answers but makes them revalidate, so a new revision is seen at once.
"""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.types import BeforeMessageSendHookHandler, Message, Scope

from app.api.common import per_snapshot
from app.catalogue.model import Snapshot
from app.live import LiveCatalogue

CACHE_CONTROL = b"public, no-cache"
_BODY_HEADERS = (b"content-length", b"content-type")


def matches_if_none_match(if_none_match: bytes, etag: bytes) -> bool:
    if if_none_match.strip() == b"*":
        return True
    opaque = etag.removeprefix(b"W/")
    return any(tag.strip().removeprefix(b"W/") == opaque for tag in if_none_match.split(b","))


@per_snapshot
def etag_of(snap: Snapshot) -> bytes:
    """The snapshot's weak validator: its revision and the start of its content hash."""
    version = snap.version
    return f'W/"{version.revision}-{version.content_hash[:16]}"'.encode()


def html_etag(etag: bytes) -> bytes:
    """The validator of a negotiated route's HTML page: the JSON answer's with ``-html``, so a
    cache revalidating one representation is never handed the other (RFC 9110 8.8.3)."""
    return etag[:-1] + b'-html"'


NOT_MODIFIED = "errcat.not_modified"  # in the scope's state: this answer became a 304


def conditional_get(live: LiveCatalogue) -> BeforeMessageSendHookHandler:
    """Litestar's ``before_send`` hook for the cacheable routes: ETag and Cache-Control on a
    200, and a 304 without the body when If-None-Match matches."""

    async def hook(message: Message, scope: Scope) -> None:
        snap = live.loaded
        handler = scope.get("route_handler")
        if (
            snap is None
            or scope["type"] != ScopeType.HTTP
            or scope["method"] != "GET"  # HEAD arrives as GET (app.api.front)
            or handler is None
            or not handler.opt.get("cacheable")
        ):
            return
        # The handler always runs: only a 200 becomes a 304 (RFC 9110 ignores the condition
        # for any other answer), and an error must stay an error.
        if message["type"] == "http.response.start" and message["status"] == 200:
            headers = list(message.get("headers", ()))
            tag = etag_of(snap)
            if any(k == b"content-type" and v.startswith(b"text/html") for k, v in headers):
                tag = html_etag(tag)
            if_none_match = next((v for k, v in scope["headers"] if k == b"if-none-match"), None)
            if if_none_match is not None and matches_if_none_match(if_none_match, tag):
                headers = [(k, v) for k, v in headers if k.lower() not in _BODY_HEADERS]
                message["status"] = 304
                scope["state"][NOT_MODIFIED] = True
            message["headers"] = [*headers, (b"etag", tag), (b"cache-control", CACHE_CONTROL)]
        elif message["type"] == "http.response.body" and scope["state"].get(NOT_MODIFIED):
            message["body"] = b""  # the 304 carries no body

    return hook
