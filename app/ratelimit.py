"""RATE_LIMIT: a fixed-window request limit per client address, around routing.

The layer before routing (app.api.front) asks it about every request, unknown paths and wrong
methods included; only /health, /ready and
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

from litestar.types import HTTPScope

from app.api.errors import CatalogueError, envelope_answer
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


# What the limit says of a request: the headers every answer to it carries, and the refusal
# (status, headers, body) when it is over the limit.
Verdict = tuple[list[tuple[bytes, bytes]], tuple[int, list[tuple[bytes, bytes]], bytes] | None]


class RateLimiter:
    def __init__(
        self,
        *,
        limit: tuple[str, int],
        current_snapshot: Callable[[], Snapshot | None],
        redis_url: str | None = None,
        prefix: str = "errcat:",
    ) -> None:
        unit, self.max_requests = limit
        self.window = WINDOWS[unit]
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

    async def check(self, scope: HTTPScope) -> Verdict | None:
        """Count the request; None when it is not limited (exempt, or the store is away)."""
        if scope["path"] in EXEMPT:
            return None
        client = scope.get("client")
        address = client[0] if client else "unknown"
        hit = await self.breaker.call(self.counter.hit, address, time.time())
        if hit is None:  # the store is away: serve rather than fail
            RATE_LIMIT_UNLIMITED.inc()
            return None
        count, reset = hit
        headers = self._headers(max(0, self.max_requests - count), reset)
        if count <= self.max_requests:
            return headers, None
        refusal = envelope_answer(
            self.current_snapshot(),
            scope,
            CatalogueError(
                429,
                f"Too many requests: at most {self.max_requests} per {self.window} s per client",
                suggested_fix=f"Retry after {reset} s (the Retry-After header).",
                headers={"Retry-After": str(reset)},
            ),
        )
        return headers, refusal
