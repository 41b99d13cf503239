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
    ASGIApp,
    HTTPResponseStartEvent,
    HTTPScope,
    Message,
    Receive,
    ReceiveMessage,
    Scope,
    Send,
)

from app.api.errors import request_id
from app.api.head import allow_head_in_405, with_allow
from app.api.pages import NEGOTIATED_ROUTES, with_vary_accept
from app.edge import CLIENT_GONE, NOSNIFF
from app.observability import HEAD_MARK, RequestObserver
from app.ratelimit import RateLimiter

_REQUEST_ID = b"x-request-id"

Header = tuple[bytes, bytes]


class Front:
    """The ASGI application errcat serves: ``routed`` (the answers given without routing, then
    the Litestar app) behind what every request passes."""

    def __init__(
        self,
        app: Litestar,
        routed: ASGIApp,
        *,
        allow: dict[str, bytes],
        limiter: RateLimiter | None,
        observer: RequestObserver | None,
    ) -> None:
        self.app = app
        self.routed = routed
        self.allow = allow  # each route's Allow for OPTIONS (app.api.head.allow_by_route)
        self.limiter = limiter
        self.observer = observer

    @property
    def state(self) -> Any:
        """The Litestar app's state (the live catalogue, the settings, the observations)."""
        return self.app.state

    def layers(self) -> list[str]:
        """What a request passes, outermost first (docs/architecture.md lists the same)."""
        return [type(self).__name__, *_names(self.routed)]

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

        async def answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = self._head(scope, message, limit_headers, rid)
            elif head and message["type"] == "http.response.body":
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
                    refused, headers, body = refusal
                    start = {"type": "http.response.start", "status": refused, "headers": headers}
                    await answer(cast("Message", start))
                    await answer({"type": "http.response.body", "body": body, "more_body": False})
                    return
            await self.routed(scope, watch_hang_up, answer)
        finally:
            if self.observer is not None:
                self.observer.record(scope, status, time.perf_counter() - started)

    def _head(
        self,
        scope: HTTPScope,
        message: HTTPResponseStartEvent,
        limit_headers: list[Header],
        rid: Header,
    ) -> list[Header]:
        """What every answer's head carries, added to what produced it."""
        status = message["status"]
        headers: list[Header] = list(message.get("headers", ()))
        if status == 405:
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
        return headers


def _names(app: object) -> list[str]:
    """The chain of ASGI applications from ``app`` inward, by class name (each holds the next
    as ``app``; the Litestar app ends it)."""
    names = []
    while app is not None:
        names.append(type(app).__name__)
        app = None if isinstance(app, Litestar) else getattr(app, "app", None)
    return names
