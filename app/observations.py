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
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import NoReturn

import msgspec
from prometheus_client import Counter
from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.catalogue.decode import DecodeReport, decode
from app.catalogue.model import Snapshot
from app.db import observation_store
from app.db.store import bounded
from app.observation_batch import (
    BUFFER_MAX_KEYS,
    BufferFull,
    CommitGate,
    Key,
    Outcome,
    PendingBatch,
    Share,
)

log = logging.getLogger("errcat")

MAX_BATCH_ITEMS = 1_000  # bodies per POST /observations
COMMIT_AT_ITEMS = 1_000  # a batch holding this many observations is committed without waiting
KEEP_CONNECTION_SECONDS = 1.0  # the writer's connection goes back to the pool after this idle

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


class NotCommitted(Exception):
    """A request's observations were not committed (or, IN_DOUBT, may have been)."""

    def __init__(self, outcome: Outcome, detail: str) -> None:
        super().__init__(detail)
        self.outcome = outcome
        self.detail = detail


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
        # SQLite: a batch's whole transaction in one worker thread (observation_store).
        self._sqlite: Engine | None = None
        if engine.dialect.name == "sqlite":
            self._sqlite = observation_store.make_sqlite_writer(engine.url, commit_timeout)

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
        if self._sqlite is not None:
            self._sqlite.dispose()

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
        gate = CommitGate()
        try:
            result = await bounded(self._write(counts, gate), min(s.deadline for s in shares) - now)
        except Exception as exc:
            sent = gate.close()  # a writer thread still running will not send COMMIT now
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
        self, counts: dict[Key, tuple[int, datetime, datetime]], gate: CommitGate
    ) -> observation_store.FlushResult:
        if self._sqlite is not None:
            return await asyncio.to_thread(self._write_sqlite, self._sqlite, counts, gate)
        conn = self._conn
        if conn is None:
            conn = self._conn = await self.engine.connect()
        try:
            return await conn.run_sync(
                observation_store.write_observations, counts, self.max_keys, gate.open
            )
        except BaseException:
            # Its state is unknown (cancelled mid-statement, broken): never reused. Invalidating
            # closes the driver's connection without a round trip, so the database rolls back.
            self._conn = None
            with contextlib.suppress(Exception):
                await conn.invalidate()
                await conn.close()
            raise

    def _write_sqlite(
        self, engine: Engine, counts: dict[Key, tuple[int, datetime, datetime]], gate: CommitGate
    ) -> observation_store.FlushResult:
        with engine.connect() as conn:  # closing it rolls back whatever did not commit
            return observation_store.write_observations(conn, counts, self.max_keys, gate.open)

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
