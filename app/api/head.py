"""HEAD for every GET route (RFC 9110: wherever GET works): run GET, send no body.

Litestar routes HEAD only to handlers declared for it, and answers 405 before any middleware
runs, so this wraps the application's ASGI handler itself (see ``main.create_app``).
"""

from __future__ import annotations

from litestar.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        # The headers (Content-Length included) stay those of the GET answer, as HEAD requires;
        # the mark lets the metrics count it as the HEAD it was (app.observability).
        await self.app({**scope, "method": "GET", "errcat.head": True}, receive, headers_only)
