"""The HTTP server's edge: uvicorn (uvloop, httptools) plus what uvicorn does not offer.

``EdgeProtocol`` extends uvicorn's httptools protocol with a bounded request head (431), head
and body timeouts (408), errcat's connection limit (503), every refusal in the error envelope
(malformed HTTP: 400) followed by a lingering close, a prompt SIGTERM for connections still
sending, and coalesced writes (app.coalescing). ``uvicorn_config`` leaves the rest to uvicorn's
configuration. The limits are in README.md ("Limits and security"); every uvicorn name and member
used here is listed in docs/architecture.md, which tests/unit/test_edge_settings.py keeps exact.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, cast

import httptools
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from app.coalescing import CoalescingTransport
from app.edge import edge_answer, overloaded
from app.settings import Settings

if TYPE_CHECKING:
    from uvicorn.server import ServerState

log = logging.getLogger("errcat")

LINGER_SECONDS = 2.0
_HEADER_OVERHEAD = 4  # ": " and CRLF around each header, as counted on the wire


@dataclass(frozen=True)
class EdgeLimits:
    """The edge's settings (their defaults and bounds are the Settings fields')."""

    max_header_bytes: int
    max_headers: int
    header_timeout: float  # 0: no limit
    body_timeout: float  # 0: no limit
    max_connections: int | None

    @classmethod
    def from_settings(cls, settings: Settings) -> EdgeLimits:
        return cls(
            max_header_bytes=settings.max_header_bytes,
            max_headers=settings.max_headers,
            header_timeout=settings.header_timeout,
            body_timeout=settings.body_timeout,
            max_connections=settings.max_connections,
        )


class EdgeConfig(uvicorn.Config):
    """uvicorn's Config plus errcat's edge limits (picklable, so worker processes get them)."""

    def __init__(self, app: Any, *, edge_limits: EdgeLimits, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.edge_limits = edge_limits


class _Refused(Exception):
    """Raised from a parser callback to stop parsing once the server has answered itself."""


class _StoppableParser:
    """httptools' parser, for which a parse stopped by ``_Refused`` is no parse error.

    uvicorn takes any error of a parser callback for malformed HTTP (a warning and its 400); a
    refusal has been answered already, so the parse just ends. What else uvicorn asks of its
    parser is the parser's own: bound once what runs on every request, the rest looked up.
    """

    __slots__ = ("_parser", "get_http_version", "get_method", "should_keep_alive", "should_upgrade")

    def __init__(self, parser: httptools.HttpRequestParser) -> None:
        self._parser = parser
        self.get_http_version = parser.get_http_version
        self.get_method = parser.get_method
        self.should_keep_alive = parser.should_keep_alive
        self.should_upgrade = parser.should_upgrade

    def feed_data(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserCallbackError as error:
            if not isinstance(error.__cause__ or error.__context__, _Refused):
                raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._parser, name)


def _refusal_app(cycle: RequestResponseCycle, refuse: Callable[[], None]) -> Any:
    """Runs in place of the application for a queued request refused at the edge."""

    async def refusal(scope: Any, receive: Any, send: Any) -> None:
        cycle.disconnected = True  # the answer is the server's own: uvicorn sends nothing more
        refuse()

    return refusal


class EdgeProtocol(HttpToolsProtocol):
    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        limits = getattr(config, "edge_limits", None) or EdgeLimits.from_settings(Settings())
        self.max_head = limits.max_header_bytes
        self.max_headers = limits.max_headers
        self.header_timeout = limits.header_timeout
        self.body_timeout = limits.body_timeout
        self.max_connections = limits.max_connections  # uvicorn's own limit answers in plain text
        self.parser = cast("httptools.HttpRequestParser", _StoppableParser(self.parser))
        self._head_room = self.max_head  # bytes a head in progress may still take
        self._in_head = True  # between messages, or reading a head
        self._head_begun = False  # some bytes of the current head have arrived
        self._head_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._done = False  # the server answered itself (or gave up): drop what arrives

    # --- connection -------------------------------------------------------------------------

    # ignore: as in uvicorn's own override (asyncio's BaseProtocol takes a BaseTransport).
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._writes = CoalescingTransport(transport, self.loop)
        # cast: the wrapper is a Transport in every way uvicorn uses one (app.coalescing).
        super().connection_made(cast("asyncio.Transport", self._writes))
        if self.header_timeout:
            self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timers()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._done:
            return
        if self._in_head and len(data) > self._head_room:
            # Feed what fits: if the head ends within it, the rest is body (or the next request).
            room, self._head_room = self._head_room, 0
            super().data_received(data[:room])
            if self._done:
                return
            if self._in_head:
                self._refuse_head(f"over {self.max_head} bytes")
                return
            super().data_received(data[room:])
        else:
            if self._in_head:
                self._head_room -= len(data)
            super().data_received(data)
        if self._done:
            return
        if self._in_head:
            if self._head_begun and self._head_timer is None and self.header_timeout:
                self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)
        elif self._body_timer is None and self.body_timeout:
            self._body_timer = self.loop.call_later(self.body_timeout, self._body_timed_out)

    # --- parser callbacks -------------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._head_begun = True
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._in_head = False
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        headers = self.headers
        if len(headers) > self.max_headers:
            self._refuse_head(f"{len(headers)} headers, over {self.max_headers}")
            raise _Refused
        size = len(self.url) + sum(len(n) + len(v) + _HEADER_OVERHEAD for n, v in headers)
        if size > self.max_head:
            self._refuse_head(f"over {self.max_head} bytes")
            raise _Refused
        limit = self.max_connections
        if limit is not None and (len(self.connections) > limit or len(self.tasks) >= limit):
            log.warning("connection limit reached (%d): answered 503", limit)
            app, self.app = self.app, overloaded
            try:
                super().on_headers_complete()
            finally:
                self.app = app
            return
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_head = True
        self._head_begun = False
        self._head_room = self.max_head
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None
        super().on_message_complete()

    # --- the server's own answers -----------------------------------------------------------

    def send_400_response(self, msg: str) -> None:
        if self._done:  # a callback stopped the parser after answering
            return
        self._refuse(
            400,
            "The request is not valid HTTP/1.1",
            "Send a well-formed HTTP/1.1 request.",
            prefer="BadRequest",
        )

    def _refuse_head(self, why: str) -> None:
        self._refuse(
            431,
            f"The request head (request line and headers) is too large: {why}",
            f"Send at most {self.max_head} bytes of request line and headers, "
            f"in at most {self.max_headers} headers.",
        )

    def _refuse(self, status: int, message: str, fix: str, *, prefer: str | None = None) -> None:
        """Answer ``status`` in the envelope and close. Answers still owed on this connection
        (pipelining) go first; what has no request of its own to answer (a head behind them, the
        rest of a body answered already) just closes the connection after them."""
        if self._done:
            return
        self._done = True
        self._cancel_timers()
        cycle = self.cycle
        if cycle is not None and cycle.more_body and cycle.response_started:
            self._close_after(cycle)  # that body's request has its answer (a 413, say)
            return
        if cycle is None or cycle.response_complete or cycle.disconnected:
            self._answer_and_close(status, message, fix, prefer)
            return
        if cycle.more_body:
            # Its body was still arriving: this answer is the request's own.
            refusal = partial(self._answer_and_close, status, message, fix, prefer)
            for place, (queued, _) in enumerate(self.pipeline):
                if queued is cycle:  # behind answers still owed: it runs in its turn
                    self.pipeline[place] = (cycle, _refusal_app(cycle, refusal))
                    return
            # The application is waiting for that body: it hears of a disconnect instead.
            cycle.disconnected = True
            cycle.message_event.set()
            refusal()
            return
        self._close_after(cycle)  # a head behind a request still being answered

    def _close_after(self, cycle: RequestResponseCycle) -> None:
        """Close the connection once ``cycle``'s answer is sent, with no answer of its own."""
        if cycle.response_complete:
            self._shut_and_linger()
        else:
            cycle.keep_alive = False  # uvicorn closes the connection after that answer
            self.flow.pause_reading()

    def _answer_and_close(
        self, status: int, message: str, fix: str, prefer: str | None = None
    ) -> None:
        log.info("answered %d at the edge: %s", status, message)
        default_headers = self.server_state.default_headers
        self.transport.write(edge_answer(status, message, fix, default_headers, prefer=prefer))
        self._shut_and_linger()

    def _shut_and_linger(self) -> None:
        # The client reads what was sent rather than a reset caused by what it still sends.
        transport = self.transport
        if transport.can_write_eof():
            transport.write_eof()
            self.loop.call_later(LINGER_SECONDS, self._close_now)
        else:
            transport.close()

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if not self._in_head or self._done:
            return
        if not self._head_begun:  # a connection that never sent anything: just close it
            self._done = True
            self._close_now()
            return
        self._refuse(
            408,
            f"The request head did not arrive within {self.header_timeout:g} seconds",
            "Send the request line and headers at once.",
        )

    def _body_timed_out(self) -> None:
        self._body_timer = None
        if self._in_head or self.cycle is None:
            return
        # A body whose request is answered already is not worth waiting for either: _refuse
        # then just closes the connection.
        self._refuse(
            408,
            f"The request body did not arrive within {self.body_timeout:g} seconds",
            "Send the body at once after the headers, at the length announced.",
        )

    def _cancel_timers(self) -> None:
        for timer in (self._head_timer, self._body_timer):
            if timer is not None:
                timer.cancel()
        self._head_timer = self._body_timer = None

    def _close_now(self) -> None:
        transport = self.transport
        if transport.is_closing():
            return
        # An answer finished in this turn of the loop is still held (app.coalescing): it goes
        # to the socket first, so that only what the client has not read counts below.
        self._writes.flush()
        if transport.get_write_buffer_size():  # a client that does not read: do not wait for it
            transport.abort()
        else:
            transport.close()

    # --- shutdown ---------------------------------------------------------------------------

    def shutdown(self) -> None:
        """SIGTERM: close what is idle or still arriving; let requests being answered finish."""
        self._cancel_timers()
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete and not self._done:
            if cycle.response_started or not cycle.more_body:
                self._done = True
                super().shutdown()  # uvicorn closes the connection once that answer is sent
                return
            # Its body is still arriving: the application hears of a disconnect.
            cycle.disconnected = True
            cycle.message_event.set()
        self._done = True
        self._close_now()


def uvicorn_proxy_kwargs(settings: Settings) -> dict[str, Any]:
    """uvicorn believes X-Forwarded-For only from the proxies FORWARDED_ALLOW_IPS names.

    uvicorn's own default trusts 127.0.0.1, which lets any local client choose its address (and
    so its rate-limit identity); errcat trusts nobody unless told.
    """
    if not settings.forwarded_allow_ips:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": list(settings.forwarded_allow_ips)}


def uvicorn_config(settings: Settings) -> EdgeConfig:
    return EdgeConfig(
        "app.main:create_app",
        factory=True,
        edge_limits=EdgeLimits.from_settings(settings),
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop="uvloop",
        http=EdgeProtocol,
        ws="none",  # errcat has no WebSocket routes; an upgrade would bypass the limits above
        access_log=False,  # the app's own JSON access log replaces uvicorn's (ACCESS_LOG=1)
        log_config=None,  # create_app configures JSON logging in every worker
        log_level=settings.log_level.lower(),
        server_header=False,
        timeout_keep_alive=settings.keepalive_timeout,
        timeout_graceful_shutdown=settings.graceful_shutdown,
        **uvicorn_proxy_kwargs(settings),
    )


def run(settings: Settings) -> None:
    """Serve until SIGTERM/SIGINT, as ``uvicorn.run`` would with this config."""
    from uvicorn.supervisors import Multiprocess

    config = uvicorn_config(settings)
    server = uvicorn.Server(config)
    if config.workers > 1:
        sock = config.bind_socket()
        Multiprocess(config, sockets=[sock]).run()
        return
    server.run()
    if not server.started:
        sys.exit(3)  # uvicorn's STARTUP_FAILURE
