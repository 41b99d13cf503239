"""GET answers of the catalogue routes given before routing: kept bytes, or computed.

Every route marked ``CACHEABLE`` answers as a function of the loaded snapshot and of the
request's path, query string and negotiation headers alone, so ``app.api.front`` asks this
cache first:
- ``lookup``: the body (and the route's own headers: type, length, CORS, a page's policy) of an
  earlier routed 200 to the same request, kept per snapshot; or, for ``GET /codes/{code}``
  with no query and no ``Origin``, the answer computed by the handler's own function (its
  errors in the envelope from ``app.api.errors``). Every other header (ETag, Cache-Control,
  Vary, nosniff, the request id, a 304) is added by the front's one head builder, to routed
  and cached answers alike: nothing is learnt from an earlier answer.
- ``keeping``: wraps the send of a routed answer to keep it when it is a cacheable 200, or the
  error (not its bytes) when it is such a route's 400 or 404 in the envelope.

The key holds everything such an answer depends on: path, raw query string, the outcome of
content negotiation (decided by the very function the pages use) and every ``Origin`` value
(CORS headers). A new snapshot empties the cache (compared by identity on every request); an
answer produced while the snapshot was swapped is not kept. Bounded: at most ``max_entries``
answers of at most ``max_body`` bytes each and ``max_total`` bytes in all; past either bound the
oldest go first (query strings are the client's to vary: 4,096 listings of 55 KB each once took
a process from 88 to 320 MB).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import msgspec
from litestar.types import HTTPScope, Message, Send

from app.api.errors import (
    ERROR_ANSWERED,
    CatalogueError,
    domain_error,
    envelope_answer,
    prefers_problem_details,
)
from app.api.pages import accept_prefers_html
from app.catalogue.errors import CatalogueProblem
from app.catalogue.model import Snapshot
from app.live import LiveCatalogue

Header = tuple[bytes, bytes]
JSON_TYPE: Header = (b"content-type", b"application/json")
# In the scope's state: the answer is a cacheable route's (the head builder adds its validator).
CACHEABLE_ANSWER = "errcat.cacheable"
_PENDING = "errcat.keep"  # in the scope's state: where a routed answer would be kept
_REQUEST_ID = b"x-request-id"  # Litestar sends header names in lower case

# A path's answer computed from the snapshot and the rest of the path; may raise a
# CatalogueProblem, as the handler would.
AnswerFunction = Callable[[Snapshot, str], msgspec.Struct]


class Answer(NamedTuple):
    """An answer given before routing: its status, its own headers and its body."""

    status: int
    headers: list[Header]
    body: bytes


def json_answer(status: int, body: bytes) -> Answer:
    return Answer(status, [JSON_TYPE, (b"content-length", b"%d" % len(body))], body)


class Computed(NamedTuple):
    prefix: str  # "/codes/"
    path_template: str  # what routing calls the route: "/codes/{code}"
    answer: AnswerFunction


class Kept(NamedTuple):
    headers: list[Header]  # as routing sent them, less the request id
    body: bytes
    path_template: str


class KeptError(NamedTuple):
    """A catalogue route's 400 or 404 in the envelope: the error, answered again by
    ``envelope_answer`` with the request's own id (errors are never replayed as bytes)."""

    error: CatalogueError
    path_template: str


# The errors a catalogue route gives for what the request names, whatever else happens.
KEPT_ERRORS = frozenset({400, 404})


class ResponseCache:
    def __init__(
        self,
        live: LiveCatalogue,
        *,
        computed: tuple[Computed, ...] = (),
        max_entries: int = 4096,
        max_body: int = 1_048_576,
        max_total: int = 16 * 1_048_576,
        max_errors: int = 1024,
        enabled: bool = True,
    ) -> None:
        self.live = live
        self.computed = computed
        self.max_entries = max_entries
        self.max_body = max_body
        self.max_total = max_total
        self.max_errors = max_errors
        self.enabled = enabled  # RESPONSE_CACHE: off, every request goes on to routing
        self._snapshot: object = None
        self._kept: dict[tuple[object, ...], Kept] = {}
        self._errors: dict[tuple[object, ...], KeptError] = {}
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._kept) + len(self._errors)

    def forget(self) -> None:
        """Drop every kept answer and the snapshot they came from (on a swap)."""
        self._kept.clear()
        self._errors.clear()
        self._bytes = 0
        self._snapshot = None

    def lookup(self, scope: HTTPScope) -> Answer | None:
        """The answer to a GET (HEAD arrives as GET) without routing, or None."""
        snap = self.live.loaded
        if not self.enabled or scope["method"] != "GET" or snap is None:
            return None
        if snap is not self._snapshot:
            self.forget()
            self._snapshot = snap
        # One pass over the headers (the hot path); the first Accept counts, as in negotiation,
        # and every Origin (CORS).
        accept: bytes | None = None
        origin = b""
        for name, value in scope["headers"]:
            if name == b"accept":
                if accept is None:
                    accept = value
            elif name == b"origin":
                origin = value if not origin else origin + b"\n" + value
        html = accept_prefers_html(accept)
        path = scope["path"]
        query = scope["query_string"]
        key = (path, query, html, origin)
        kept = self._kept.get(key)
        if kept is not None:
            scope["path_template"] = kept.path_template
            scope["state"][CACHEABLE_ANSWER] = True
            return Answer(200, kept.headers, kept.body)
        if not html and not query and not origin:
            answer = self._compute(scope, path, snap)
            if answer is not None:
                return answer
        kept_error = self._errors.get(key)
        if kept_error is not None and not prefers_problem_details(scope):
            scope["path_template"] = kept_error.path_template
            return Answer(*envelope_answer(snap, scope, kept_error.error))
        scope["state"][_PENDING] = (key, snap)
        return None

    def _compute(self, scope: HTTPScope, path: str, snap: Snapshot) -> Answer | None:
        for route in self.computed:
            if not path.startswith(route.prefix):
                continue
            rest = path[len(route.prefix) :]
            if not (rest.isascii() and rest.isdigit()):
                # Not a plain number: routing decides (a sibling route such as POST
                # /codes/lookup answers GET with 405; a malformed number gets the handler's 400).
                return None
            try:
                found = route.answer(snap, rest)
            except CatalogueProblem as exc:
                error = domain_error(exc)
                if error is None or prefers_problem_details(scope):
                    return None  # routing answers it (problem details, an unknown kind)
                scope["path_template"] = route.path_template
                return Answer(*envelope_answer(snap, scope, error))
            scope["path_template"] = route.path_template
            scope["state"][CACHEABLE_ANSWER] = True
            return json_answer(200, msgspec.json.encode(found))
        return None

    def keeping(self, scope: HTTPScope, send: Send) -> Send:
        """``send`` for the routed answer to a request ``lookup`` did not answer: a cacheable
        200 is kept on its way."""
        pending = scope["state"].pop(_PENDING, None)
        if pending is None:
            return send
        key, snap = pending
        headers: list[Header] | None = None
        chunks: list[bytes] = []
        size = 0

        async def watch(message: Message) -> None:
            nonlocal headers, size
            if message["type"] == "http.response.start":
                handler = scope.get("route_handler")
                cacheable = handler is not None and handler.opt.get("cacheable")
                error = scope["state"].get(ERROR_ANSWERED)
                no_cors = not key[3]  # an envelope answered before routing carries no CORS
                if cacheable and message["status"] in KEPT_ERRORS and error and no_cors:
                    self._keep_error(key, KeptError(error, scope.get("path_template", "")))
                elif message["status"] == 200 and cacheable:
                    # A copy, before the head builder adds what every answer carries.
                    headers = [(k, v) for k, v in message.get("headers", ()) if k != _REQUEST_ID]
            elif message["type"] == "http.response.body" and headers is not None:
                size += len(message.get("body", b""))
                if size <= self.max_body:
                    chunks.append(message.get("body", b""))
                last = not message.get("more_body", False)
                if last and size <= self.max_body and self.live.loaded is snap:
                    self._keep(key, Kept(headers, b"".join(chunks), scope.get("path_template", "")))
            await send(message)

        return watch

    def _keep(self, key: tuple[object, ...], kept: Kept) -> None:
        while self._kept and (
            len(self._kept) >= self.max_entries or self._bytes + len(kept.body) > self.max_total
        ):
            self._bytes -= len(self._kept.pop(next(iter(self._kept))).body)
        self._bytes += len(kept.body)
        self._kept[key] = kept

    def _keep_error(self, key: tuple[object, ...], kept: KeptError) -> None:
        while len(self._errors) >= self.max_errors:
            self._errors.pop(next(iter(self._errors)))
        self._errors[key] = kept
