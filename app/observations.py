"""Observed error codes: counted in memory per request, written to the database in the background.

``POST /observations`` decodes each body (app.catalogue.decode) and adds its key, (code, slug,
status, confidence), to an ``ObservationBuffer``; nothing else of the body is kept (never the
message, never the request id). An ``ObservationFlusher`` writes the buffer every
OBSERVATIONS_FLUSH_SECONDS and once more at shutdown, before the engine is disposed, so what was
acknowledged (202) is in the database when the process exits. Counts add up in the database, so
replicas need no coordination (docs/observations.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import Any

import msgspec
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalogue.decode import DecodeReport, decode
from app.catalogue.model import Snapshot
from app.db import observation_store

log = logging.getLogger("errcat")

MAX_BATCH_ITEMS = 1_000  # bodies per POST /observations
BUFFER_MAX_KEYS = 20_000  # distinct keys waiting for a flush; beyond it a batch gets 503

Key = tuple[int | None, str | None, int | None, str]

# Process-wide, like every default-registry metric: /metrics shows them.
ACCEPTED = Counter("errcat_observations_accepted", "Observations accepted by POST /observations")
STORED = Counter("errcat_observations_stored", "Observations written to the database")
OVERFLOW = Counter(
    "errcat_observations_overflow",
    "Observations not stored because the table already held OBSERVATIONS_MAX_KEYS keys",
)
FLUSH_FAILURES = Counter(
    "errcat_observations_flush_failures", "Flushes of the observation buffer that failed"
)


class BufferFull(Exception):
    """The buffer cannot take a batch's new keys until the next flush."""


def observation_key(report: DecodeReport) -> Key:
    fields = report.extracted
    return (fields.code, fields.slug, fields.status, report.confidence)


def decode_batch(snap: Snapshot, bodies: list[str | bytes]) -> list[Key]:
    """The key of every body (each already checked against the decoder's size limit)."""
    return [observation_key(decode(snap, body)) for body in bodies]


def as_body(item: object) -> str | bytes:
    """A batch item as the decoder reads it: a string is the body; any other JSON value is
    the body in its JSON form."""
    return item if isinstance(item, str) else msgspec.json.encode(item)


class ObservationBuffer:
    """Counts per key since the last flush; bounded to ``max_keys`` distinct keys."""

    def __init__(self, max_keys: int = BUFFER_MAX_KEYS) -> None:
        self.max_keys = max_keys
        self._counts: dict[Key, list[Any]] = {}  # key -> [count, first, last]

    def __len__(self) -> int:
        return len(self._counts)

    @property
    def pending(self) -> int:
        return sum(c[0] for c in self._counts.values())

    def add_all(self, keys: list[Key], now: datetime) -> None:
        """All of them or (BufferFull) none."""
        new = {k for k in keys if k not in self._counts}
        if len(self._counts) + len(new) > self.max_keys:
            raise BufferFull(f"{len(self._counts)} keys are waiting for the next flush")
        for key in keys:
            tally = self._counts.get(key)
            if tally is None:
                self._counts[key] = [1, now, now]
            else:
                tally[0] += 1
                tally[2] = now
        ACCEPTED.inc(len(keys))

    def take(self) -> dict[Key, tuple[int, datetime, datetime]]:
        taken, self._counts = self._counts, {}
        return {k: (c[0], c[1], c[2]) for k, c in taken.items()}

    def restore(self, taken: dict[Key, tuple[int, datetime, datetime]]) -> None:
        """Put back what a failed flush took (may go past the bound; the next flush drains)."""
        for key, (count, first, last) in taken.items():
            tally = self._counts.get(key)
            if tally is None:
                self._counts[key] = [count, first, last]
            else:
                tally[0] += count
                tally[1], tally[2] = min(tally[1], first), max(tally[2], last)


class ObservationFlusher:
    """Writes the buffer to the database every ``interval`` seconds and at ``stop()``."""

    def __init__(
        self, engine: AsyncEngine, buffer: ObservationBuffer, interval: float, max_keys: int
    ) -> None:
        self.engine = engine
        self.buffer = buffer
        self.interval = interval
        self.max_keys = max_keys
        self._lock = asyncio.Lock()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def flush(self) -> observation_store.FlushResult | None:
        """Write what is buffered; on failure it goes back into the buffer and this raises."""
        async with self._lock:
            taken = self.buffer.take()
            if not taken:
                return None
            try:
                result = await observation_store.add_observations(self.engine, taken, self.max_keys)
            except BaseException:
                self.buffer.restore(taken)
                FLUSH_FAILURES.inc()
                raise
        STORED.inc(sum(c for c, _, _ in taken.values()) - result.overflow)
        if result.overflow:
            OVERFLOW.inc(result.overflow)
            log.warning(
                "observations: %s not stored, the table holds its maximum of %s keys",
                result.overflow,
                self.max_keys,
            )
        return result

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="errcat-observations-flush")

    async def _run(self) -> None:
        # Never cancelled mid-flush: stop() sets the event and waits for the loop to end.
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.interval)
            if self._stopping.is_set():
                return
            try:
                await self.flush()
            except Exception as exc:  # kept in the buffer; tried again next round
                log.warning("observations flush failed: %s: %s", type(exc).__name__, exc)

    async def stop(self) -> None:
        """End the loop, then flush what is left: called before the engine is disposed."""
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None
        try:
            await self.flush()
        except Exception as exc:
            log.error(
                "observations lost at shutdown: %s (%s: %s)",
                self.buffer.pending,
                type(exc).__name__,
                exc,
            )
