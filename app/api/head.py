"""HEAD for every GET route (RFC 9110: wherever GET works): run GET, send no body.

Litestar routes HEAD only to handlers declared for it, and answers 405 before any middleware
runs, so this wraps the application's ASGI handler itself (see ``main.create_app``). For the
same reason Litestar's 405 answers list only the declared methods in ``Allow``; since HEAD is
served wherever GET is, ``Allow`` names HEAD wherever it names GET.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from litestar.enums import ScopeType
from litestar.routes import BaseRoute, HTTPRoute
from litestar.types import ASGIApp, Message, Receive, Scope, Send


def allow_with_head(value: bytes) -> bytes:
    """``OPTIONS, GET`` -> ``OPTIONS, GET, HEAD``: HEAD right after GET, when GET is allowed."""
    methods = [m.strip() for m in value.split(b",") if m.strip()]
    upper = [m.upper() for m in methods]
    if b"GET" not in upper or b"HEAD" in upper:
        return value
    methods.insert(upper.index(b"GET") + 1, b"HEAD")
    return b", ".join(methods)


def _add_head_to_405(message: Message) -> None:
    if message["type"] == "http.response.start" and message["status"] == 405:
        message["headers"] = [
            (k, allow_with_head(v) if k.lower() == b"allow" else v)
            for k, v in message.get("headers", ())
        ]


def allow_by_route(routes: Iterable[BaseRoute]) -> dict[str, bytes]:
    """Each HTTP route's ``Allow`` value (by path template), HEAD included wherever GET is.

    Litestar 2's OPTIONS answer keeps the methods of the first handler registered on a path
    (GET /observations next to POST /observations answered ``Allow: OPTIONS, POST``), so
    OPTIONS answers get their ``Allow`` from the routes themselves.
    """
    return {
        route.path_format: allow_with_head(", ".join(sorted(route.methods)).encode())
        for route in routes
        if isinstance(route, HTTPRoute)
    }


class HeadAsGet:
    def __init__(self, app: ASGIApp, allow: dict[str, bytes] | None = None) -> None:
        self.app = app
        self.allow = allow or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["method"] == "GET":
            # A GET answered 405 has no GET in its Allow, so nothing to add: the hot path is bare.
            await self.app(scope, receive, send)
            return

        if scope["method"] != "HEAD":

            async def allow_head(message: Message) -> None:
                _add_head_to_405(message)
                if (
                    scope["method"] == "OPTIONS"
                    and message["type"] == "http.response.start"
                    and message["status"] < 300
                    and (allow := self.allow.get(scope.get("path_template", ""))) is not None
                ):
                    message["headers"] = [
                        *((k, v) for k, v in message.get("headers", ()) if k.lower() != b"allow"),
                        (b"allow", allow),
                    ]
                await send(message)

            await self.app(scope, receive, allow_head)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        # The headers (Content-Length included) stay those of the GET answer, as HEAD requires
        # (a HEAD answered 405 is a GET answered 405: its Allow has no GET, hence no HEAD); the
        # mark lets the metrics count it as the HEAD it was (app.observability).
        # cast: the mark is a key the ASGI scope TypedDict does not declare.
        get_scope = cast("Scope", {**scope, "method": "GET", "errcat.head": True})
        await self.app(get_scope, receive, headers_only)
