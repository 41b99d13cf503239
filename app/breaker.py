"""A circuit breaker for a dependency the service can do without (the rate limit's Redis).

A stalled dependency would otherwise cost every request its full timeout. After a failure it is
skipped for a back-off (1 s, doubled by each failed probe up to 10 s); then one request probes
it while the others go on skipping it, and an answer closes the breaker again. Each change of
state is logged once, not once per request.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from time import monotonic
from typing import Literal, ParamSpec, TypeVar

log = logging.getLogger("errcat")

FIRST_BACKOFF = 1.0
MAX_BACKOFF = 10.0

P = ParamSpec("P")
T = TypeVar("T")
State = Literal["closed", "open", "probing"]


class CircuitBreaker:
    """``closed``: every call goes through. ``open``: calls are skipped until ``retry_at``.
    ``probing``: one call is trying the dependency again; the others are skipped."""

    def __init__(
        self, name: str, *, meanwhile: str, clock: Callable[[], float] | None = None
    ) -> None:
        self.name = name
        self.meanwhile = meanwhile  # what callers do without it, for the log
        self.clock = clock or monotonic
        self.state: State = "closed"
        self.backoff = FIRST_BACKOFF
        self.retry_at = 0.0

    async def call(
        self, operation: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs
    ) -> T | None:
        """The operation's result, or None when it failed or was skipped: the caller does
        without the dependency."""
        if self.state == "closed":
            try:
                return await operation(*args, **kwargs)
            except Exception as exc:
                self._trip(exc)
                return None
        if self.state == "probing" or self.clock() < self.retry_at:
            return None
        self.state = "probing"
        try:
            result = await operation(*args, **kwargs)
        except Exception as exc:
            self.backoff = min(self.backoff * 2, MAX_BACKOFF)
            self._reopen()
            log.debug("%s still unavailable (%s)", self.name, type(exc).__name__)
            return None
        except BaseException:
            # Cancelled (the client went away): nothing learnt, but the wait still counts.
            self._reopen()
            raise
        self.state = "closed"
        self.backoff = FIRST_BACKOFF
        log.info("%s reachable again", self.name)
        return result

    def _trip(self, exc: Exception) -> None:
        # Calls that were already waiting when the first one failed fail too: only the first
        # opens the breaker (and is logged).
        if self.state != "closed":
            return
        self._reopen()
        log.warning(
            "%s unavailable (%s): %s; tried again in %g s",
            self.name,
            type(exc).__name__,
            self.meanwhile,
            self.backoff,
        )

    def _reopen(self) -> None:
        self.state = "open"
        self.retry_at = self.clock() + self.backoff
