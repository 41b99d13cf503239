"""The one layer before routing: what every request passes, whatever answers it.

``Front`` is the ASGI application ``create_app`` returns, so tests and uvicorn serve the same
object (docs/architecture.md draws the path). It sits outside the Litestar app because Litestar
answers unmatched paths and wrong methods before its own middleware runs, and what is here must
see those too: the request id, metrics and the access log, the rate limit, nosniff, HEAD served
as GET (without the body) and ``Vary: Accept`` on negotiated routes. One fixed order, whatever
the settings: the rate limit, then the answers given without routing, then routing.
"""

from __future__ import annotations

import time
from typing import Any, cast

from litestar import Litestar
from litestar.enums import ScopeType
from litestar.types import (
    HTTPResponseStartEvent,
    HTTPScope,
    Message,
    Receive,
    ReceiveMessage,
    Scope,
    Send,
)

from app.api.caching import BODY_HEADERS, CACHE_CONTROL, etag_of, html_etag, matches_if_none_match
from app.api.errors import request_id
from app.api.head import allow_by_route, allow_head_in_405, with_allow
from app.api.hot_posts import HotPosts
from app.api.pages import NEGOTIATED_ROUTES, with_vary_accept
from app.api.response_cache import CACHEABLE_ANSWER, Answer, ResponseCache
from app.edge import CLIENT_GONE, NOSNIFF
from app.live import LiveCatalogue
from app.observability import HEAD_MARK, RequestObserver
from app.ratelimit import RateLimiter

_REQUEST_ID = b"x-request-id"

Header = tuple[bytes, bytes]


class Front:
    """The ASGI application errcat serves: the answers given without routing (``cache`` for
    GET, ``hot_posts`` for the two checks), else the Litestar ``app``, behind what every
    request passes; every answer's head leaves through ``_head``."""

    def __init__(
        self,
        app: Litestar,
        *,
        live: LiveCatalogue,
        cache: ResponseCache,
        hot_posts: HotPosts,
        limiter: RateLimiter | None,
        observer: RequestObserver | None,
    ) -> None:
        self.app = app
        self.live = live
        self.cache = cache
        self.hot_posts = hot_posts
        self.allow = allow_by_route(app.routes)  # each route's Allow, for OPTIONS
        self.limiter = limiter
        self.observer = observer

    @property
    def state(self) -> Any:
        """The Litestar app's state (the live catalogue, the settings, the observations)."""
        return self.app.state

    def layers(self) -> list[str]:
        """What a request passes, outermost first (docs/architecture.md lists the same)."""
        return [type(self).__name__, type(self.app).__name__]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)  # lifespan (and websockets, were there any)
            return
        await self._serve(scope, receive, send)

    async def _serve(self, scope: HTTPScope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        rid = (_REQUEST_ID, request_id(scope).encode())
        head = scope["method"] == "HEAD"
        if head:
            # The GET answer's headers, Content-Length included, as HEAD requires; the mark
            # lets the metrics count it as the HEAD it was. cast: a key the TypedDict lacks.
            scope = cast("HTTPScope", {**scope, "method": "GET", HEAD_MARK: True})
        limit_headers: list[Header] = []
        status = 500  # what the metrics record if nothing is sent
        bodiless = head  # HEAD, or a 304

        async def answer(message: Message) -> None:
            nonlocal status, bodiless
            if message["type"] == "http.response.start":
                headers, status = self._head(scope, message, limit_headers, rid)
                bodiless = bodiless or status == 304
                message["headers"] = headers
                message["status"] = status
            elif bodiless and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        async def watch_hang_up() -> ReceiveMessage:
            message = await receive()
            if message["type"] == "http.disconnect":
                scope["state"][CLIENT_GONE] = True
            return message

        try:
            verdict = await self.limiter.check(scope) if self.limiter is not None else None
            if verdict is not None:
                limit_headers, refusal = verdict
                if refusal is not None:
                    await _send(answer, Answer(*refusal))
                    return
            given: Answer | None = None
            body_source: Receive = watch_hang_up
            if scope["method"] == "GET":
                given = self.cache.lookup(scope)
            elif scope["method"] == "POST":
                given, body_source = await self.hot_posts.answer(scope, watch_hang_up)
            if given is not None:
                await _send(answer, given)
                return
            await self.app(scope, body_source, self.cache.keeping(scope, answer))
        finally:
            if self.observer is not None:
                self.observer.record(scope, status, time.perf_counter() - started)

    def _head(
        self,
        scope: HTTPScope,
        message: HTTPResponseStartEvent,
        limit_headers: list[Header],
        rid: Header,
    ) -> tuple[list[Header], int]:
        """The one head builder: what produced the answer sent its type, length and own
        headers; every answer gets the rest here, routed or not. Returns the headers and the
        status (a matching If-None-Match turns a cacheable 200 into a 304)."""
        status = message["status"]
        headers: list[Header] = list(message.get("headers", ()))
        if status == 200 and self._cacheable(scope) and (snap := self.live.loaded) is not None:
            tag = self.live.derived(snap, etag_of)
            if any(k == b"content-type" and v.startswith(b"text/html") for k, v in headers):
                tag = html_etag(tag)
            if_none_match = next((v for k, v in scope["headers"] if k == b"if-none-match"), None)
            if if_none_match is not None and matches_if_none_match(if_none_match, tag):
                headers = [(k, v) for k, v in headers if k.lower() not in BODY_HEADERS]
                status = 304
            headers += [(b"etag", tag), (b"cache-control", CACHE_CONTROL)]
        elif status == 405:
            headers = allow_head_in_405(headers)
        elif scope["method"] == "OPTIONS" and status < 300:
            allow = self.allow.get(scope.get("path_template", ""))
            if allow is not None:
                headers = with_allow(headers, allow)
        if scope.get("path_template") in NEGOTIATED_ROUTES:
            headers = with_vary_accept(headers)
        headers += limit_headers
        names = {k.lower() for k, _ in headers}
        if _REQUEST_ID not in names:
            headers.append(rid)
        if NOSNIFF[0] not in names:
            headers.append(NOSNIFF)
        return headers, status

    @staticmethod
    def _cacheable(scope: HTTPScope) -> bool:
        """A GET (or HEAD) of a route whose answers are a function of the snapshot alone."""
        if scope["method"] != "GET":
            return False
        if scope["state"].get(CACHEABLE_ANSWER):
            return True
        handler = scope.get("route_handler")
        return handler is not None and bool(handler.opt.get("cacheable"))


async def _send(send: Send, answer: Answer) -> None:
    start = {"type": "http.response.start", "status": answer.status, "headers": answer.headers}
    await send(cast("Message", start))
    await send({"type": "http.response.body", "body": answer.body, "more_body": False})
