"""POST /validate-envelope and POST /decode answered before routing, in their common case.

These are the two checks that other services call on their error path, so their cost is the
framework's as much as the check's: routing, the Request object, parameter parsing and the
middleware stack cost more than validating an envelope. The common case is a JSON (or, for
/decode, plain-text) body of a declared length within the route's limit, no query string and no
``Origin``: for it this layer reads the body, calls the very function the handler calls, and
sends the encoded report under the headers the application itself last sent for the route.

What keeps it identical to the handler:
- Every other request goes to the application unchanged, its body replayed as it was read:
  another media type or a charset, a query string (``profile``, ``http_status``), CORS, a body
  without ``Content-Length`` or over the limit, a client that hangs up. So are bodies the report
  function refuses (a ``CatalogueProblem``: empty, not JSON, nested too deeply): the handler
  gives those their 4xx.
- The headers are learnt from the application's own 200 answer to such a request (less the
  length and the request id), once per snapshot; until then the application answers.
- Tests send each route's bodies both ways and compare the answers byte for byte.

Routing-derived scope keys that outer layers read (``path_template`` for metrics) are set as
routing would set them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import msgspec
from litestar.enums import ScopeType
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Message,
    Receive,
    ReceiveMessage,
    Scope,
    Send,
)

from app.api.errors import REQUEST_ID_HEADER, request_id
from app.api.response_cache import with_length
from app.catalogue.errors import CatalogueProblem
from app.catalogue.model import Snapshot
from app.live import LiveCatalogue

_REQUEST_ID = REQUEST_ID_HEADER.encode()
_CONTENT_LENGTH = b"content-length"

# The report for a body, as the route's handler computes it for a request with no query.
ReportFunction = Callable[[Snapshot, bytes], msgspec.Struct]


class HotPost(NamedTuple):
    report: ReportFunction
    media_types: frozenset[bytes]  # Content-Type values taken as sent (no parameters)
    max_body: int  # the route's body limit: a longer declared body goes to the application


class HotPosts:
    def __init__(
        self,
        app: ASGIApp,
        live: LiveCatalogue,
        routes: dict[str, HotPost],
        enabled: bool = True,
    ) -> None:
        self.app = app
        self.live = live
        self.routes = routes
        self.enabled = enabled  # RESPONSE_CACHE: off, every request goes on to routing
        self._snapshot: object = None
        self._learnt: dict[str, list[tuple[bytes, bytes]]] = {}  # path -> its 200's headers

    def forget(self) -> None:
        """Drop the learnt headers and the snapshot they came from (on a swap)."""
        self._learnt.clear()
        self._snapshot = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            not self.enabled
            or scope["type"] != ScopeType.HTTP
            or scope["method"] != "POST"
            or (route := self.routes.get(scope["path"])) is None
            or scope["query_string"]
            or (snap := self.live.loaded) is None
        ):
            await self.app(scope, receive, send)
            return
        if snap is not self._snapshot:
            self.forget()
            self._snapshot = snap
        length = self._declared_length(scope, route)
        headers = self._learnt.get(scope["path"])
        if length is None:
            await self.app(scope, receive, send)
            return
        if headers is None:
            await self._answer_and_learn(scope, receive, send, snap)
            return
        read, body = await _read(receive, length)
        if body is not None:
            try:
                report = route.report(snap, body)
            except CatalogueProblem:
                pass  # the handler refuses it, in its own words
            else:
                encoded = msgspec.json.encode(report)
                await self._send(scope, send, headers, encoded)
                return
        await self.app(scope, _replaying(read, receive), send)

    @staticmethod
    def _declared_length(scope: Scope, route: HotPost) -> int | None:
        """The body's declared length when the request is the common case, else None."""
        content_type: bytes | None = None
        length: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"content-type":
                if content_type is not None:
                    return None
                content_type = value
            elif name == _CONTENT_LENGTH:
                if length is not None:
                    return None
                length = value
            elif name in (b"origin", b"transfer-encoding", b"expect"):
                return None
        if content_type not in route.media_types or length is None or not length.isdigit():
            return None
        declared = int(length)
        return declared if declared <= route.max_body else None

    async def _send(
        self, scope: Scope, send: Send, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> None:
        scope["path_template"] = scope["path"]  # these routes have no path parameters
        start_headers = [
            *with_length(headers, len(body)),
            (_REQUEST_ID, request_id(scope).encode()),
        ]
        await send(
            HTTPResponseStartEvent(type="http.response.start", status=200, headers=start_headers)
        )
        await send(HTTPResponseBodyEvent(type="http.response.body", body=body, more_body=False))

    async def _answer_and_learn(
        self, scope: Scope, receive: Receive, send: Send, snap: Snapshot
    ) -> None:
        learnt: list[tuple[bytes, bytes]] | None = None

        async def watch(message: Message) -> None:
            nonlocal learnt
            if message["type"] == "http.response.start" and message["status"] == 200:
                learnt = [(k, v) for k, v in message.get("headers", ()) if k.lower() != _REQUEST_ID]
            await send(message)

        await self.app(scope, receive, watch)
        if (
            learnt is not None
            and scope.get("path_template") == scope["path"]
            and any(k.lower() == _CONTENT_LENGTH for k, _ in learnt)
            and self.live.loaded is snap
        ):
            self._learnt[scope["path"]] = learnt


async def _read(receive: Receive, length: int) -> tuple[list[ReceiveMessage], bytes | None]:
    """The messages read and the body, or None for the body when it is not exactly ``length``
    bytes or the client left (the application is then given the same messages)."""
    read: list[ReceiveMessage] = []
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        read.append(message)
        if message["type"] != "http.request":
            return read, None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > length:
            return read, None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return read, b"".join(chunks) if size == length else None


def _replaying(read: list[ReceiveMessage], receive: Receive) -> Receive:
    """``receive`` as if nothing had been read: ``read`` first, in order, then the rest."""
    pending = list(read)

    async def replay() -> ReceiveMessage:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
