"""Answers of the catalogue routes, encoded once per snapshot and replayed before routing.

Every route marked ``CACHEABLE`` answers as a function of the loaded snapshot and of the
request's path, query string and negotiation headers alone (see app.api.caching). So the first
200 answer to such a request is kept as bytes (status, headers, body) and later identical
requests are answered from those bytes without routing, parsing, validation or encoding: the
framework's per-request work is what kept lookups at about 0.7x of a bare Litestar app.

What keeps it correct:
- Only what the application itself answered is replayed (never a constructed answer), so a
  replay is byte-identical to the handler's answer but for the request id, which is the
  request's own (tests compare every code both ways).
- The key holds everything such an answer depends on: path, raw query string, the outcome of
  content negotiation (HTML or JSON, decided by the very function the pages use, so a header
  sent twice cannot make a replay differ from what the handler would choose) and every
  ``Origin`` value (CORS headers). ``If-None-Match`` is answered as the conditional-GET
  middleware would: a 304 with the same headers, less the body's.
- A new snapshot empties the cache (compared by identity on every request); an answer produced
  while the snapshot was swapped is not kept.
- Bounded: at most ``max_entries`` answers of at most ``max_body`` bytes each and
  ``max_total`` bytes in all; past either bound the oldest go first (query strings are the
  client's to vary: 4,096 listings of 55 KB each once took a process from 88 to 320 MB).
- Routing-derived scope keys that outer layers read (``path_template`` for metrics) are kept
  with the answer and restored on a replay.
"""

from __future__ import annotations

from typing import NamedTuple

from litestar.enums import ScopeType
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Message,
    Receive,
    Scope,
    Send,
)

from app.api.caching import matches_if_none_match
from app.api.errors import REQUEST_ID_HEADER, request_id
from app.api.pages import accept_prefers_html
from app.live import LiveCatalogue

_BODY_HEADERS = (b"content-length", b"content-type")
_REQUEST_ID = REQUEST_ID_HEADER.encode()


class Kept(NamedTuple):
    headers: list[tuple[bytes, bytes]]  # as sent, less the request id
    not_modified_headers: list[tuple[bytes, bytes]]  # the 304's: less the body's headers too
    body: bytes
    etag: bytes
    path_template: str


class ResponseCache:
    def __init__(
        self,
        app: ASGIApp,
        live: LiveCatalogue,
        *,
        max_entries: int = 4096,
        max_body: int = 1_048_576,
        max_total: int = 16 * 1_048_576,
    ) -> None:
        self.app = app
        self.live = live
        self.max_entries = max_entries
        self.max_body = max_body
        self.max_total = max_total
        self._snapshot: object = None
        self._kept: dict[tuple[object, ...], Kept] = {}
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._kept)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        snap = self.live.loaded
        if scope["type"] != ScopeType.HTTP or scope["method"] != "GET" or snap is None:
            await self.app(scope, receive, send)
            return
        if snap is not self._snapshot:
            self._kept.clear()
            self._bytes = 0
            self._snapshot = snap
        # One pass over the headers (the hot path); the first Accept and If-None-Match count, as
        # in negotiation and the conditional-GET middleware, and every Origin (CORS).
        accept: bytes | None = None
        if_none_match = b""
        origins: list[bytes] = []
        for name, value in scope["headers"]:
            if name == b"accept":
                if accept is None:
                    accept = value
            elif name == b"origin":
                origins.append(value)
            elif name == b"if-none-match" and not if_none_match:
                if_none_match = value
        key = (
            scope["path"],
            scope["query_string"],
            accept_prefers_html(accept),
            b"\n".join(origins),
        )
        kept = self._kept.get(key)
        if kept is not None:
            await self._replay(scope, send, kept, if_none_match)
            return
        await self._answer_and_keep(scope, receive, send, key, snap)

    async def _replay(self, scope: Scope, send: Send, kept: Kept, if_none_match: bytes) -> None:
        scope["path_template"] = kept.path_template
        rid = (_REQUEST_ID, request_id(scope).encode())
        if if_none_match and matches_if_none_match(if_none_match, kept.etag):
            await send(
                HTTPResponseStartEvent(
                    type="http.response.start",
                    status=304,
                    headers=[*kept.not_modified_headers, rid],
                )
            )
            await send(HTTPResponseBodyEvent(type="http.response.body", body=b"", more_body=False))
            return
        await send(
            HTTPResponseStartEvent(
                type="http.response.start", status=200, headers=[*kept.headers, rid]
            )
        )
        await send(
            HTTPResponseBodyEvent(type="http.response.body", body=kept.body, more_body=False)
        )

    async def _answer_and_keep(
        self, scope: Scope, receive: Receive, send: Send, key: tuple[object, ...], snap: object
    ) -> None:
        start: HTTPResponseStartEvent | None = None
        chunks: list[bytes] = []
        size = 0

        async def watch(message: Message) -> None:
            nonlocal start, size
            if message["type"] == "http.response.start":
                # A copy: outer layers (the rate limiter) may add headers to the message in place.
                start = {**message, "headers": list(message.get("headers", ()))}
            elif message["type"] == "http.response.body" and start is not None:
                size += len(message.get("body", b""))
                if size <= self.max_body:
                    chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, watch)
        handler = scope.get("route_handler")
        if (
            start is None
            or start["status"] != 200
            or handler is None
            or not handler.opt.get("cacheable")
            or size > self.max_body
            or self.live.loaded is not snap
        ):
            return
        headers = [(k, v) for k, v in start.get("headers", ()) if k.lower() != _REQUEST_ID]
        etag = next((v for k, v in headers if k.lower() == b"etag"), None)
        if etag is None:
            return  # not a conditional-GET answer: nothing says it is a function of the snapshot
        body = b"".join(chunks)
        while self._kept and (
            len(self._kept) >= self.max_entries or self._bytes + len(body) > self.max_total
        ):
            self._bytes -= len(self._kept.pop(next(iter(self._kept))).body)
        self._bytes += len(body)
        self._kept[key] = Kept(
            headers=headers,
            not_modified_headers=[(k, v) for k, v in headers if k.lower() not in _BODY_HEADERS],
            body=body,
            etag=etag,
            path_template=scope.get("path_template", "unmatched"),
        )
