"""RATE_LIMIT: a fixed-window request limit per client address, around routing.

It wraps the application's ASGI handler (like app.api.head and the request observer), so it
sees every request, unknown paths and wrong methods included; only /health, /ready and
/metrics are exempt. Counters live in Redis when REDIS_URL is set (one limit shared by every
replica: INCR is atomic there, and keys expire with their window) and otherwise in this
process's memory, where only the current window's counters are kept (bounded whatever the
number of clients). The client address is the connection's peer, or what uvicorn made of
X-Forwarded-For when the peer is a proxy named in FORWARDED_ALLOW_IPS. When the store fails,
requests are served unlimited (counted in ``errcat_rate_limit_unlimited_total``), and a circuit
breaker (app.breaker) then skips the store for a back-off: a stalled Redis makes one request per
back-off wait for its 1 s timeout, not every request.

Every limited answer carries ``RateLimit-Limit``, ``RateLimit-Remaining``, ``RateLimit-Reset``
and ``RateLimit-Policy``; a 429 is the catalogue's envelope (10429 HTTP_TooManyRequests) with
``Retry-After``.

Not Litestar's RateLimitMiddleware: it runs after routing (so 404 and 405 answers were never
limited), reads then writes each counter under a per-process lock (two replicas sharing a store
could both let a request through) and leaves expired keys of the memory store in place.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import msgspec
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

from app.api.errors import CatalogueError, envelope_response
from app.breaker import CircuitBreaker
from app.catalogue.model import Snapshot
from app.observability import RATE_LIMIT_UNLIMITED

WINDOWS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
EXEMPT = frozenset({"/health", "/ready", "/metrics"})
MAX_TRACKED = 100_000  # in-memory counters per window; the oldest go first beyond it


class MemoryCounter:
    """Counters of the current window only: a new window starts from an empty table."""

    def __init__(self, window: int) -> None:
        self.window = window
        self._index = -1
        self._counts: dict[str, int] = {}

    async def hit(self, client: str, now: float) -> tuple[int, int]:
        index = int(now // self.window)
        if index != self._index:
            self._index, self._counts = index, {}
        count = self._counts.get(client, 0) + 1
        if count == 1 and len(self._counts) >= MAX_TRACKED:
            self._counts.pop(next(iter(self._counts)))
        self._counts[client] = count
        return count, math.ceil((index + 1) * self.window - now)

    def __len__(self) -> int:
        return len(self._counts)

    async def close(self) -> None:
        return None


class RedisCounter:
    """Counters in Redis, shared by every process that uses the same URL and prefix."""

    def __init__(self, url: str, window: int, prefix: str) -> None:
        from redis.asyncio import Redis

        self.window = window
        self.prefix = prefix
        self.redis = Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)

    async def hit(self, client: str, now: float) -> tuple[int, int]:
        index = int(now // self.window)
        key = f"{self.prefix}ratelimit:{self.window}:{index}:{client}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, self.window + 1)
            count, _ = await pipe.execute()
        return int(count), math.ceil((index + 1) * self.window - now)

    async def close(self) -> None:
        await self.redis.aclose()


class RateLimiter:
    def __init__(
        self,
        app: ASGIApp,
        *,
        limit: tuple[str, int],
        current_snapshot: Callable[[], Snapshot | None],
        redis_url: str | None = None,
        prefix: str = "errcat:",
    ) -> None:
        unit, self.max_requests = limit
        self.window = WINDOWS[unit]
        self.app = app
        self.current_snapshot = current_snapshot
        self.counter: MemoryCounter | RedisCounter = (
            RedisCounter(redis_url, self.window, prefix)
            if redis_url
            else MemoryCounter(self.window)
        )
        self.policy = f"{self.max_requests};w={self.window}".encode()
        self.breaker = CircuitBreaker("rate limit store", meanwhile="requests are served unlimited")

    def _headers(self, remaining: int, reset: int) -> list[tuple[bytes, bytes]]:
        return [
            (b"ratelimit-limit", str(self.max_requests).encode()),
            (b"ratelimit-remaining", str(remaining).encode()),
            (b"ratelimit-reset", str(reset).encode()),
            (b"ratelimit-policy", self.policy),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["path"] in EXEMPT:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        address = client[0] if client else "unknown"
        hit = await self.breaker.call(self.counter.hit, address, time.time())
        if hit is None:  # the store is away: serve rather than fail
            RATE_LIMIT_UNLIMITED.inc()
            await self.app(scope, receive, send)
            return
        count, reset = hit
        headers = self._headers(max(0, self.max_requests - count), reset)
        if count > self.max_requests:
            await self._refuse(scope, send, headers, reset)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *headers]
            await send(message)

        await self.app(scope, receive, with_headers)

    async def _refuse(
        self, scope: Scope, send: Send, headers: list[tuple[bytes, bytes]], reset: int
    ) -> None:
        response = envelope_response(
            self.current_snapshot(),
            scope,
            CatalogueError(
                429,
                f"Too many requests: at most {self.max_requests} per {self.window} s per client",
                suggested_fix=f"Retry after {reset} s (the Retry-After header).",
                headers={"Retry-After": str(reset)},
            ),
        )
        body = msgspec.json.encode(response.content)
        start_headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            *((k.lower().encode(), v.encode()) for k, v in response.headers.items()),
            *headers,
        ]
        await send(
            HTTPResponseStartEvent(type="http.response.start", status=429, headers=start_headers)
        )
        await send(HTTPResponseBodyEvent(type="http.response.body", body=body, more_body=False))
