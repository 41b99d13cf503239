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
- Where it sits: inside the layer before routing (``app.api.front``), which adds what every
  answer carries (request id, nosniff, Vary, the rate limit's headers) to replays and routed
  answers alike; what it keeps is what routing answered, CORS and ETag included.

Two more kinds of answer are replayed, both because clients poll them:
- The deterministic errors of these routes (400 and 404: a code the page lacks, which the live
  platform sends) carry the request id in their body, so they are kept with the body split
  around it and replayed with the request's own id. They are keyed on every ``Accept`` value,
  since errors negotiate problem details too, and kept only when the id occurs exactly once.
- Routes given in ``computed`` (``GET /codes/{code}``) have a cheap answer function: a miss is
  answered by that function's encoded Struct under the headers the application last sent for
  the route, without routing, once one answer has taught them. With 100,000 codes most lookups
  miss any bounded cache; this keeps them off the framework's path. The function is the one the
  handler calls, and the tests compare every code both ways.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import msgspec
from litestar.enums import ScopeType
from litestar.types import (
    ASGIApp,
    HTTPResponseStartEvent,
    Message,
    Receive,
    Scope,
    Send,
)

from app.api.caching import matches_if_none_match
from app.api.errors import REQUEST_ID_HEADER, request_id
from app.api.pages import accept_prefers_html
from app.catalogue.errors import CatalogueProblem
from app.catalogue.model import Snapshot
from app.live import LiveCatalogue

_BODY_HEADERS = (b"content-length", b"content-type")
_REQUEST_ID = REQUEST_ID_HEADER.encode()
_CONTENT_LENGTH = b"content-length"
# The errors a catalogue route gives for what the request names, whatever else happens.
_KEPT_ERRORS = frozenset({400, 404})
MAX_ERROR_BODY = 4096  # an envelope is a few hundred bytes: 1,024 of them stay under 4 MiB

# A path's answer computed from the snapshot and the rest of the path (None: let the
# application answer); may raise a CatalogueProblem, as the handler would.
AnswerFunction = Callable[[Snapshot, str], msgspec.Struct | None]


class Computed(NamedTuple):
    prefix: str  # "/codes/"
    path_template: str  # what routing calls the route: "/codes/{code}"
    answer: AnswerFunction


class Kept(NamedTuple):
    headers: list[tuple[bytes, bytes]]  # as sent, less the request id
    not_modified_headers: list[tuple[bytes, bytes]]  # the 304's: less the body's headers too
    body: bytes
    etag: bytes
    path_template: str


class Learnt(NamedTuple):
    """A computed route's last JSON answer, as a template for answers computed without it."""

    before_length: list[tuple[bytes, bytes]]  # its headers up to Content-Length (request id out)
    length_name: bytes  # Content-Length as the application spelled it
    after_length: list[tuple[bytes, bytes]]  # and after it
    kept: Kept

    @classmethod
    def of(cls, kept: Kept) -> Learnt | None:
        at = next(
            (i for i, (k, _) in enumerate(kept.headers) if k.lower() == _CONTENT_LENGTH), None
        )
        if at is None:
            return None
        headers = kept.headers
        return cls(headers[:at], headers[at][0], headers[at + 1 :], kept)

    def headers(self, body: bytes) -> list[tuple[bytes, bytes]]:
        """What the application would have sent with ``body``: only the length differs."""
        return [*self.before_length, (self.length_name, b"%d" % len(body)), *self.after_length]


class KeptError(NamedTuple):
    status: int
    headers: list[tuple[bytes, bytes]]  # as sent, less the request id
    before_id: bytes  # the body up to the request id
    after_id: bytes  # and after it
    path_template: str


def with_length(headers: list[tuple[bytes, bytes]], length: int) -> list[tuple[bytes, bytes]]:
    """``headers`` with Content-Length saying ``length`` (in place, so the order is kept)."""
    value = str(length).encode()
    return [(k, value) if k.lower() == _CONTENT_LENGTH else (k, v) for k, v in headers]


class ResponseCache:
    def __init__(
        self,
        app: ASGIApp,
        live: LiveCatalogue,
        *,
        computed: tuple[Computed, ...] = (),
        max_entries: int = 4096,
        max_body: int = 1_048_576,
        max_total: int = 16 * 1_048_576,
        max_errors: int = 1024,
        enabled: bool = True,
    ) -> None:
        self.app = app
        self.live = live
        self.enabled = enabled  # RESPONSE_CACHE: off, every request goes on to routing
        self.computed = computed
        self.max_entries = max_entries
        self.max_body = max_body
        self.max_total = max_total
        self.max_errors = max_errors
        self._snapshot: object = None
        self._kept: dict[tuple[object, ...], Kept] = {}
        self._errors: dict[tuple[object, ...], KeptError] = {}
        # Per computed route and Origin values: its last JSON answer (for the headers).
        self._learnt: dict[tuple[object, object], Learnt] = {}
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._kept) + len(self._errors)

    def forget(self) -> None:
        """Drop every kept answer and the snapshot they came from (on a swap)."""
        self._kept.clear()
        self._errors.clear()
        self._learnt.clear()
        self._bytes = 0
        self._snapshot = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        snap = self.live.loaded
        if (
            not self.enabled
            or scope["type"] != ScopeType.HTTP
            or scope["method"] != "GET"
            or snap is None
        ):
            await self.app(scope, receive, send)
            return
        if snap is not self._snapshot:
            self.forget()
            self._snapshot = snap
        # One pass over the headers (the hot path); the first Accept and If-None-Match count, as
        # in negotiation and the conditional-GET middleware, and every Origin (CORS).
        accept: bytes | None = None
        if_none_match = b""
        origin = b""
        for name, value in scope["headers"]:
            if name == b"accept":
                if accept is None:
                    accept = value
            elif name == b"origin":
                origin = value if not origin else origin + b"\n" + value
            elif name == b"if-none-match" and not if_none_match:
                if_none_match = value
        html = accept_prefers_html(accept)
        path = scope["path"]
        query = scope["query_string"]
        key = (path, query, html, origin)
        kept = self._kept.get(key)
        if kept is not None:
            await self._replay(scope, send, kept, if_none_match)
        elif not html and not query and (computed := self._compute(path, snap, origin)):
            await self._replay_computed(scope, send, key, *computed, if_none_match)
        else:
            # Errors negotiate problem details too: keyed on every Accept value.
            accepts = b"\n".join(v for k, v in scope["headers"] if k == b"accept")
            error_key = (path, query, accepts, origin)
            error = self._errors.get(error_key)
            if error is None:
                await self._answer_and_keep(scope, receive, send, key, error_key, snap)
                return
            await self._replay_error(scope, send, error)

    def _compute(self, path: str, snap: Snapshot, origin: bytes) -> tuple[Learnt, bytes] | None:
        """A computed route's answer to ``path`` (its headers' template and its body), or None
        when the application must answer."""
        for route in self.computed:
            if not path.startswith(route.prefix):
                continue
            learnt = self._learnt.get((route.path_template, origin))
            if learnt is None:
                return None  # nothing taught yet: the application answers (and teaches)
            try:
                answer = route.answer(snap, path[len(route.prefix) :])
            except CatalogueProblem:
                return None  # the application gives the error (then kept as one, if it may be)
            if answer is None:
                return None
            return learnt, msgspec.json.encode(answer)
        return None

    # Plain dict displays below (not the TypedDict constructors): this runs per replayed answer.

    async def _replay(
        self,
        scope: Scope,
        send: Send,
        kept: Kept,
        if_none_match: bytes,
        answer: tuple[list[tuple[bytes, bytes]], bytes] | None = None,
    ) -> int:
        """``kept`` replayed; or, given an ``answer`` (headers and body) computed under its
        headers, that answer."""
        headers, body = answer or (kept.headers, kept.body)
        scope["path_template"] = kept.path_template
        rid = (_REQUEST_ID, request_id(scope).encode())
        if if_none_match and matches_if_none_match(if_none_match, kept.etag):
            return await _send(send, 304, [*kept.not_modified_headers, rid], b"")
        return await _send(send, 200, [*headers, rid], body)

    async def _replay_computed(
        self,
        scope: Scope,
        send: Send,
        key: tuple[object, ...],
        learnt: Learnt,
        body: bytes,
        if_none_match: bytes,
    ) -> int:
        headers = learnt.headers(body)
        # Kept while there is room, never at the cost of another answer: with more codes than
        # the cache holds, a rotation would otherwise only churn it.
        if len(self._kept) < self.max_entries and self._bytes + len(body) <= self.max_total:
            self._kept[key] = learnt.kept._replace(headers=headers, body=body)
            self._bytes += len(body)
        return await self._replay(scope, send, learnt.kept, if_none_match, (headers, body))

    async def _replay_error(self, scope: Scope, send: Send, kept: KeptError) -> int:
        scope["path_template"] = kept.path_template
        rid = request_id(scope).encode()
        body = kept.before_id + rid + kept.after_id
        headers = [*with_length(kept.headers, len(body)), (_REQUEST_ID, rid)]
        return await _send(send, kept.status, headers, body)

    async def _answer_and_keep(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        key: tuple[object, ...],
        error_key: tuple[object, ...],
        snap: Snapshot,
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
            or handler is None
            or not handler.opt.get("cacheable")
            or size > self.max_body
            or self.live.loaded is not snap
        ):
            return
        rid = request_id(scope).encode()
        headers = [(k, v) for k, v in start.get("headers", ()) if k.lower() != _REQUEST_ID]
        body = b"".join(chunks)
        template = scope.get("path_template", "unmatched")
        if start["status"] in _KEPT_ERRORS:
            self._keep_error(error_key, start["status"], headers, body, rid, template)
        elif start["status"] == 200:
            kept = self._keep(key, headers, body, template)
            _path, query, html, origin = key
            computed = any(c.path_template == template for c in self.computed)
            if kept is not None and computed and not query and not html:
                learnt = Learnt.of(kept)
                if learnt is not None:
                    self._learnt[(template, origin)] = learnt

    def _make_room(self, size: int) -> None:
        while self._kept and (
            len(self._kept) >= self.max_entries or self._bytes + size > self.max_total
        ):
            self._bytes -= len(self._kept.pop(next(iter(self._kept))).body)

    def _keep(
        self,
        key: tuple[object, ...],
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        path_template: str,
    ) -> Kept | None:
        etag = next((v for k, v in headers if k.lower() == b"etag"), None)
        if etag is None:
            return None  # no validator: nothing says it is a function of the snapshot
        self._make_room(len(body))
        self._bytes += len(body)
        kept = Kept(
            headers=headers,
            not_modified_headers=[(k, v) for k, v in headers if k.lower() not in _BODY_HEADERS],
            body=body,
            etag=etag,
            path_template=path_template,
        )
        self._kept[key] = kept
        return kept

    def _keep_error(
        self,
        key: tuple[object, ...],
        status: int,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        rid: bytes,
        path_template: str,
    ) -> None:
        if body.count(rid) != 1:
            return  # a client's short id could also occur elsewhere in the body: not templatable
        before, after = body.split(rid)
        if len(body) > MAX_ERROR_BODY:
            return
        while len(self._errors) >= self.max_errors:
            self._errors.pop(next(iter(self._errors)))
        self._errors[key] = KeptError(status, headers, before, after, path_template)


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> int:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
    return status
