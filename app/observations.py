"""Observed error codes, committed in groups: a request is answered once its batch is stored.

``POST /observations`` decodes each body (app.catalogue.decode) and keeps its key, (code, slug,
status, confidence); nothing else of the body (never the message, never the request id). The
request joins the batch being gathered and waits for that batch's transaction (a group commit).
One batch commits at a time; the next is committed once it holds ``commit_at`` observations, its
first request has waited OBSERVATIONS_FLUSH_SECONDS, or no other request is on its way to it
(being read or decoded), whichever comes first. So a 202 means committed. A request whose batch
is not committed within OBSERVATIONS_COMMIT_TIMEOUT, or fails, is refused and nothing of it is
stored; the one exception is a connection lost after COMMIT was sent: in doubt, logged and
counted. Counts add up in the database, so replicas need no coordination (docs/observations.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn

import msgspec
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.catalogue.decode import DecodeReport, decode
from app.catalogue.model import Snapshot
from app.db import observation_store
from app.db.store import bounded

log = logging.getLogger("errcat")

MAX_BATCH_ITEMS = 1_000  # bodies per POST /observations
BUFFER_MAX_KEYS = 20_000  # distinct keys in the batch being gathered; beyond it a request gets 503
COMMIT_AT_ITEMS = 1_000  # a batch holding this many observations is committed without waiting
KEEP_CONNECTION_SECONDS = 1.0  # the writer's connection goes back to the pool after this idle

Key = tuple[int | None, str | None, int | None, str]

# Process-wide, like every default-registry metric: /metrics shows them.
ACCEPTED = Counter("errcat_observations_accepted", "Observations committed and acknowledged (202)")
STORED = Counter("errcat_observations_stored", "Observations written to the database")
OVERFLOW = Counter(
    "errcat_observations_overflow",
    "Observations not stored because the table already held OBSERVATIONS_MAX_KEYS keys",
)
FLUSH_FAILURES = Counter(
    "errcat_observations_flush_failures", "Batch transactions that failed or timed out"
)
REFUSED = Counter(
    "errcat_observations_refused",
    "POST /observations requests answered 503 (not committed, or in doubt), by reason",
    ["reason"],
)
COMMITS = Counter("errcat_observations_commits", "Batch transactions committed")
IN_DOUBT = Counter(
    "errcat_observations_in_doubt",
    "Observations whose commit's outcome is unknown (the connection broke after COMMIT was sent)",
)


class Outcome(enum.Enum):
    COMMITTED = "committed"
    FULL = "full"  # the batch being gathered holds too many distinct keys
    TIMEOUT = "timeout"  # not committed within the wait: rolled back or never begun
    FAILED = "failed"  # the transaction failed (database away, or refused it): rolled back
    IN_DOUBT = "in_doubt"  # COMMIT was sent and its answer never came: maybe stored
    STOPPED = "stopped"  # the service is shutting down


class NotCommitted(Exception):
    """A request's observations were not committed (or, IN_DOUBT, may have been)."""

    def __init__(self, outcome: Outcome, detail: str) -> None:
        super().__init__(detail)
        self.outcome = outcome
        self.detail = detail


class BufferFull(Exception):
    """The batch being gathered cannot take a request's new keys."""


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


@dataclass(eq=False)
class Share:
    """One request's observations in a batch, and how its request learns the outcome."""

    counts: dict[Key, int]
    items: int
    seen: datetime
    deadline: float  # event-loop time past which the request is answered 503
    done: asyncio.Future[tuple[Outcome, str]]
    waiting: bool = True  # False once the request is gone (cancelled): nobody reads ``done``


class PendingBatch:
    """The requests waiting for one commit."""

    def __init__(self) -> None:
        self.shares: list[Share] = []
        self.items = 0
        self.opened = 0.0  # event-loop time of the first request's joining
        self._totals: dict[Key, int] = {}

    def __len__(self) -> int:
        return len(self._totals)

    def join(
        self,
        keys: list[Key],
        seen: datetime,
        deadline: float,
        done: asyncio.Future[tuple[Outcome, str]],
        max_keys: int = BUFFER_MAX_KEYS,
    ) -> Share:
        """All of a request's keys, or (BufferFull: the batch would hold more than ``max_keys``
        distinct keys) none."""
        counts: dict[Key, int] = {}
        for key in keys:
            counts[key] = counts.get(key, 0) + 1
        new = sum(1 for k in counts if k not in self._totals)
        if len(self._totals) + new > max_keys:
            raise BufferFull(f"{len(self._totals)} keys are waiting for the next commit")
        for key, count in counts.items():
            self._totals[key] = self._totals.get(key, 0) + count
        share = Share(counts, len(keys), seen, deadline, done)
        self.shares.append(share)
        self.items += share.items
        return share

    def leave(self, share: Share) -> None:
        """Take a request's observations out again (it gave up before the commit began)."""
        self.shares.remove(share)
        self.items -= share.items
        for key, count in share.counts.items():
            left = self._totals[key] - count
            if left:
                self._totals[key] = left
            else:
                del self._totals[key]

    @staticmethod
    def counts(shares: list[Share]) -> dict[Key, tuple[int, datetime, datetime]]:
        """(count, first seen, last seen) per key over ``shares``, as the store writes them."""
        merged: dict[Key, list[Any]] = {}
        for share in shares:
            for key, count in share.counts.items():
                tally = merged.get(key)
                if tally is None:
                    merged[key] = [count, share.seen, share.seen]
                else:
                    tally[0] += count
                    tally[1], tally[2] = min(tally[1], share.seen), max(tally[2], share.seen)
        return {k: (t[0], t[1], t[2]) for k, t in merged.items()}


class GroupCommit:
    """Gathers requests' observations into batches and commits one batch at a time."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        flush_seconds: float,
        commit_timeout: float,
        max_keys: int,
        commit_at: int = COMMIT_AT_ITEMS,
        buffer_keys: int = BUFFER_MAX_KEYS,
    ) -> None:
        if flush_seconds >= commit_timeout:
            # Every request would give up before its batch is due.
            raise ValueError("the flush interval must be shorter than the commit timeout")
        self.engine = engine
        self.flush_seconds = flush_seconds
        self.commit_timeout = commit_timeout
        self.max_keys = max_keys
        self.commit_at = commit_at
        self.buffer_keys = buffer_keys
        self._batch = PendingBatch()
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._arriving = 0  # requests being read or decoded: they will join the next batch
        # Held while batches keep coming (no pool check-out, ping or reset between them),
        # returned to the pool after KEEP_CONNECTION_SECONDS without one, dropped on a failure.
        self._conn: AsyncConnection | None = None

    @contextlib.contextmanager
    def on_the_way(self) -> Iterator[None]:
        """Around a request's reading and decoding: the batch it will join waits for it (within
        the flush interval) rather than commit without it."""
        self._arriving += 1
        try:
            yield
        finally:
            self._arriving -= 1
            if not self._arriving:
                self._wake.set()

    @property
    def pending(self) -> int:
        """Observations waiting for a commit to begin."""
        return self._batch.items

    async def commit(self, keys: list[Key]) -> None:
        """Return once ``keys`` are committed; NotCommitted (and nothing stored, unless it says
        IN_DOUBT) otherwise."""
        if not keys:
            return
        if self._task is None:
            self._refuse(Outcome.STOPPED, "errcat is shutting down")
        loop = asyncio.get_running_loop()
        done: asyncio.Future[tuple[Outcome, str]] = loop.create_future()
        batch = self._batch
        try:
            deadline = loop.time() + self.commit_timeout
            share = batch.join(keys, datetime.now(UTC), deadline, done, self.buffer_keys)
        except BufferFull as exc:
            self._refuse(Outcome.FULL, str(exc))
        if len(batch.shares) == 1:
            batch.opened = loop.time()
        if len(batch.shares) == 1 or not self._arriving or batch.items >= self.commit_at:
            self._wake.set()
        try:
            await asyncio.wait({done}, timeout=share.deadline - loop.time())
            if not done.done():
                if batch is self._batch:  # its commit has not begun: leave, nothing is stored
                    batch.leave(share)
                    self._refuse(Outcome.TIMEOUT, self._late())
                # Its commit is under way, bounded by the same deadline: wait for the outcome.
                await asyncio.shield(done)
        except asyncio.CancelledError:
            if batch is self._batch:
                batch.leave(share)
            share.waiting = False
            raise
        outcome, detail = done.result()
        if outcome is not Outcome.COMMITTED:
            self._refuse(outcome, detail)

    def _late(self) -> str:
        return f"the database did not commit it within {self.commit_timeout:g} s"

    @staticmethod
    def _refuse(outcome: Outcome, detail: str) -> NoReturn:
        REFUSED.labels(outcome.value).inc()
        raise NotCommitted(outcome, detail)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="errcat-observations-commit")

    async def stop(self) -> None:
        """Commit what is gathered, then end: called before the engine is disposed."""
        task, self._task = self._task, None
        self._stopping = True
        self._wake.set()
        if task is not None:
            await task

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = self._batch
            if not batch.shares:
                if self._stopping:
                    await self._release()
                    return
                self._wake.clear()
                if self._conn is None:
                    await self._wake.wait()
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), KEEP_CONNECTION_SECONDS)
                if not self._wake.is_set():
                    await self._release()
                continue
            due = batch.opened + self.flush_seconds
            waits = self._arriving and batch.items < self.commit_at and loop.time() < due
            if waits and not self._stopping:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), due - loop.time())
                continue
            self._batch = PendingBatch()
            await self._commit(batch.shares)

    async def _commit(self, shares: list[Share]) -> None:
        """One transaction for every share still within its wait; each learns the outcome."""
        now = asyncio.get_running_loop().time()
        late = [s for s in shares if s.deadline <= now]
        for share in late:
            share.done.set_result((Outcome.TIMEOUT, self._late()))
        shares = [s for s in shares if s.deadline > now]
        if not shares:
            return
        counts = PendingBatch.counts(shares)
        items = sum(s.items for s in shares)
        sent = False

        def committing() -> None:
            nonlocal sent
            sent = True

        try:
            result = await bounded(
                self._write(counts, committing), min(s.deadline for s in shares) - now
            )
        except Exception as exc:
            outcome, detail = self._failure(exc, sent, counts, items, len(shares))
            for share in shares:
                share.done.set_result((outcome, detail))
            return
        COMMITS.inc()
        ACCEPTED.inc(items)
        STORED.inc(items - result.overflow)
        if result.overflow:
            OVERFLOW.inc(result.overflow)
            log.warning(
                "observations: %s not stored, the table holds its maximum of %s keys",
                result.overflow,
                self.max_keys,
            )
        for share in shares:
            share.done.set_result((Outcome.COMMITTED, ""))
        gone = [s for s in shares if not s.waiting]
        if gone:
            # Stored, but their requests were cancelled (client gone, forced shutdown): no 202.
            log.warning(
                "observations: %s committed for %s request(s) no longer waiting for the answer",
                sum(s.items for s in gone),
                len(gone),
            )

    async def _write(
        self, counts: dict[Key, tuple[int, datetime, datetime]], committing: Callable[[], None]
    ) -> observation_store.FlushResult:
        conn = self._conn
        if conn is None:
            conn = self._conn = await self.engine.connect()
            await conn.execution_options(sqlite_immediate=True)
        try:
            return await observation_store.add_observations(conn, counts, self.max_keys, committing)
        except BaseException:
            # Its state is unknown (cancelled mid-statement, broken): never reused. Invalidating
            # closes the driver's connection without a round trip, so the database rolls back.
            self._conn = None
            with contextlib.suppress(Exception):
                await conn.invalidate()
                await conn.close()
            raise

    async def _release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await bounded(conn.close(), self.commit_timeout)

    def _failure(
        self,
        exc: Exception,
        sent: bool,
        counts: dict[Key, tuple[int, datetime, datetime]],
        items: int,
        requests: int,
    ) -> tuple[Outcome, str]:
        reason = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
        if sent and not observation_store.refused_by_database(exc):
            IN_DOUBT.inc(items)
            rows = [[*key, count] for key, (count, _, _) in counts.items()]
            log.error(
                "observations in doubt: %s of %s request(s), the connection was lost after COMMIT "
                "was sent (%s); stored or not, unknown. [code, slug, status, confidence, count]: "
                "%s",
                items,
                requests,
                reason,
                json.dumps(rows),
            )
            return Outcome.IN_DOUBT, "the connection was lost after COMMIT was sent"
        FLUSH_FAILURES.inc()
        if isinstance(exc, TimeoutError):
            log.warning("observations commit timed out: %s of %s request(s)", items, requests)
            return Outcome.TIMEOUT, self._late()
        log.warning("observations commit failed (%s): %s of %s request(s)", reason, items, requests)
        return Outcome.FAILED, f"the database could not commit it ({type(exc).__name__})"
