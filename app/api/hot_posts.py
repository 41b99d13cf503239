"""POST /validate-envelope and POST /decode answered before routing, in their common case.

These are the two checks that other services call on their error path, so their cost is the
framework's as much as the check's: routing, the Request object, parameter parsing and the
middleware stack cost more than validating an envelope. The common case is a JSON (or, for
/decode, plain-text) body of a declared length within the route's limit, no query string and no
``Origin``: for it ``app.api.front`` has this read the body and call the very function the
handler calls; the encoded report is sent as JSON under the heads every answer gets there.

What keeps it identical to the handler:
- Every other request goes to the application unchanged, its body replayed as it was read:
  another media type or a charset, a query string (``profile``, ``http_status``), CORS, a body
  without ``Content-Length`` or over the limit, a client that hangs up. So are bodies the report
  function refuses (a ``CatalogueProblem``: empty, not JSON, nested too deeply): the handler
  gives those their 4xx.
- Tests send each route's bodies both ways and compare the answers byte for byte.

Routing-derived scope keys that outer layers read (``path_template`` for metrics) are set as
routing would set them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import msgspec
from litestar.types import HTTPScope, Receive, ReceiveMessage

from app.api.response_cache import Answer, json_answer
from app.catalogue.errors import CatalogueProblem
from app.catalogue.model import Snapshot
from app.live import LiveCatalogue

_CONTENT_LENGTH = b"content-length"

# The report for a body, as the route's handler computes it for a request with no query.
ReportFunction = Callable[[Snapshot, bytes], msgspec.Struct]


class HotPost(NamedTuple):
    report: ReportFunction
    media_types: frozenset[bytes]  # Content-Type values taken as sent (no parameters)
    max_body: int  # the route's body limit: a longer declared body goes to the application


class HotPosts:
    def __init__(
        self, live: LiveCatalogue, routes: dict[str, HotPost], enabled: bool = True
    ) -> None:
        self.live = live
        self.routes = routes
        self.enabled = enabled  # RESPONSE_CACHE: off, every request goes on to routing

    async def answer(self, scope: HTTPScope, receive: Receive) -> tuple[Answer | None, Receive]:
        """The report for a POST in the common case, or None and ``receive`` as if unread."""
        if (
            not self.enabled
            or scope["method"] != "POST"
            or (route := self.routes.get(scope["path"])) is None
            or scope["query_string"]
            or (snap := self.live.loaded) is None
            or (length := self._declared_length(scope, route)) is None
        ):
            return None, receive
        read, body = await _read(receive, length)
        if body is not None:
            try:
                report = route.report(snap, body)
            except CatalogueProblem:
                pass  # the handler refuses it, in its own words
            else:
                scope["path_template"] = scope["path"]  # these routes have no path parameters
                return json_answer(200, msgspec.json.encode(report)), receive
        return None, _replaying(read, receive)

    @staticmethod
    def _declared_length(scope: HTTPScope, route: HotPost) -> int | None:
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
