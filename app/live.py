"""The running service's catalogue: one immutable Snapshot, swapped whole when a revision lands.

Requests read ``live.snapshot`` (one attribute read, no lock: the swap is a single assignment).
A background task asks the database for its newest revision every ``reload_interval`` seconds
and, when it differs, builds the new Snapshot completely before swapping it in, so requests keep
answering from the old one meanwhile.

Every database call here is bounded by ``timeout`` (DB_TIMEOUT): a stalled database costs the
loop one warning line and a later retry, never a hang. The loop also tracks the database's
state (``ok``, ``unreachable``, ``stalled``) for /ready, /metrics and the logs.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import gc
import logging
import time
from collections.abc import Callable, Generator
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalogue.build import snapshot_steps
from app.catalogue.errors import CatalogueNotLoaded
from app.catalogue.model import Snapshot
from app.db import store

T = TypeVar("T")

log = logging.getLogger("errcat")

FIRST_LOAD_RETRY = 5.0  # seconds between attempts at a first load when reloads are off
# Reading a whole catalogue is several statements: it gets this many DB_TIMEOUTs in all.
FULL_READ_FACTOR = 5
TRIM_AFTER = 1.0  # seconds between a swap and giving the freed heap back (trim_heap)
# How long a reload decodes or builds before letting requests in: every request arriving during
# a reload waits up to about this long more (p99 of lookups during a 100,000-code reload was
# lowest at 0.25 ms among 0.25, 1, 4 and 20 ms: docs/performance.md) ...
BUILD_SLICE = 0.00025
# ... and how long requests then have the loop to themselves, while a snapshot is being served
# (the first load has nobody to wait for): p98 of lookups during a 100,000-code reload went from
# 2.0 to 1.6 ms; the reload takes about twice as long.
BUILD_PAUSE = 0.0005


def is_stall(exc: BaseException) -> bool:
    """True when the database did not answer in time (as opposed to refusing or failing)."""
    seen: BaseException | None = exc
    while seen is not None:
        name = type(seen).__name__
        if isinstance(seen, TimeoutError) or "Timeout" in name or "QueryCanceled" in name:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class LiveCatalogue:
    def __init__(self, engine: AsyncEngine, reload_interval: float, timeout: float = 2.0) -> None:
        self.engine = engine
        self.reload_interval = reload_interval
        self.timeout = timeout
        self._snapshot: Snapshot | None = None
        # What is derived from the served snapshot (pages' data, listings, exports, its ETag),
        # memoised by ``derived``; replaced in the same swap, so nothing outlives its snapshot.
        self._derived: tuple[Snapshot | None, dict[object, Any]] = (None, {})
        # Called after each swap: caches derived from the old snapshot let it go at once.
        self.on_swap: list[Callable[[], None]] = []
        self.reloads = 0
        self.last_error: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._reloading = asyncio.Lock()
        # The database as last seen: "unknown" until the first call, then "ok",
        # "unreachable" or "stalled"; db_error is the failure's type name (never its text,
        # which can name hosts or SQL, since /ready is public).
        self.db_state: Literal["ok", "unreachable", "stalled", "unknown"] = "unknown"
        self.db_error: str | None = None
        self.db_checked_at: str | None = None

    def record_database(self, exc: BaseException | None) -> None:
        """Note the outcome of a database call; log when the state changes."""
        before = self.db_state
        if exc is None:
            self.db_state, self.db_error = "ok", None
        else:
            self.db_state = "stalled" if is_stall(exc) else "unreachable"
            self.db_error = type(exc).__name__
        self.db_checked_at = datetime.now(UTC).isoformat(timespec="seconds")
        if self.db_state == before:
            return
        if self.db_state == "ok":
            if before != "unknown":
                log.info("database reachable again", extra={"database": "ok"})
        elif self.db_state == "stalled":
            log.warning(
                "database stalled: no answer within DB_TIMEOUT=%ss (%s)",
                self.timeout,
                self.db_error,
                extra={"database": "stalled"},
            )
        else:
            log.warning(
                "database unreachable: %s",
                self.db_error,
                extra={"database": "unreachable"},
            )

    async def check_database(self) -> None:
        """A cheap round trip (SELECT 1) bounded by the timeout; updates the state only."""
        try:
            await store.bounded(store.ping(self.engine), self.timeout)
        except Exception as exc:
            self.record_database(exc)
        else:
            self.record_database(None)

    @property
    def loaded(self) -> Snapshot | None:
        return self._snapshot

    def derived(self, snap: Snapshot, build: Callable[[Snapshot], T]) -> T:
        """``build(snap)``, memoised while ``snap`` is the snapshot served (a request still
        holding an older one gets it computed, not kept)."""
        if snap is not self._snapshot:
            return build(snap)
        served, memo = self._derived
        if served is not snap:  # a snapshot set without a reload's swap (tests do)
            memo = {}
            self._derived = (snap, memo)
        if build not in memo:
            memo[build] = build(snap)
        answer: T = memo[build]
        return answer

    @property
    def snapshot(self) -> Snapshot:
        snap = self._snapshot
        if snap is None:
            raise CatalogueNotLoaded
        return snap

    async def reload(self) -> bool:
        """Load the newest revision if it differs from the one served; True when swapped.

        Only the database read waits on I/O; the rest is computation on the event loop, cut
        into slices of a quarter of a millisecond (BUILD_SLICE) with requests served between
        them: the stored document is decoded section by section, hash-checked a megabyte at a
        time and built into a Snapshot (100,000 codes built in one go held the loop for about
        0.5 s; a worker thread, sharing the server's one core and the GIL, for up to 10 ms at a
        time: docs/performance.md). Requests keep the old snapshot until the single assignment that
        swaps the finished one in. One reload at a time.
        """
        async with self._reloading:
            return await self._reload()

    async def _reload(self) -> bool:
        try:
            latest = await store.bounded(store.latest_revision(self.engine), self.timeout)
            served = self._snapshot.version.revision if self._snapshot is not None else None
            if latest is None or served == latest:
                self.record_database(None)
                return False
            found = await store.bounded(
                store.read_stored(self.engine), self.timeout * FULL_READ_FACTOR
            )
        except Exception as exc:
            self.record_database(exc)
            raise
        self.record_database(None)
        if found is None:
            return False
        raw, version = found
        del found
        # Decoded and built on the event loop, a slice at a time (docs/performance.md).
        pause = BUILD_PAUSE if self._snapshot is not None else 0.0
        doc = await self._in_slices(store.decode_stored_steps(raw, version), pause)
        del raw  # (the encoded document: about as large as the decoded one)
        steps = snapshot_steps(doc, version)
        del doc  # (the build holds it until done, then only the Snapshot remains)
        snapshot = await self._in_slices(steps, pause)
        # The snapshot and what is derived from it change together (no await between).
        self._snapshot, self._derived = snapshot, (snapshot, {})
        del snapshot
        for forget in self.on_swap:
            forget()  # (the old snapshot is mostly freed here: about 10 ms at 100,000 codes)
        self.reloads += 1
        log.info("catalogue revision %s loaded", version.revision)
        await asyncio.sleep(pause)  # requests in between that and the collection
        freeze_survivors()
        # The old snapshot is freed once the requests (and per-snapshot caches) holding it let
        # go, which takes the next few requests: the heap is trimmed a moment later.
        asyncio.get_running_loop().call_later(TRIM_AFTER, trim_heap)
        return True

    async def _in_slices(self, steps: Generator[None, None, T], pause: float) -> T:
        """Run ``steps`` to their end, letting requests in for ``pause`` seconds (at least one
        turn of the loop) every BUILD_SLICE seconds."""
        pause_at = time.perf_counter() + BUILD_SLICE
        while True:
            try:
                next(steps)
            except StopIteration as done:
                result: T = done.value
                return result
            if time.perf_counter() >= pause_at:
                await asyncio.sleep(pause)  # let requests in
                pause_at = time.perf_counter() + BUILD_SLICE

    async def start(self) -> None:
        try:
            await self.reload()
        except Exception as exc:  # the service still starts; /ready says why it is not ready
            self.last_error = type(exc).__name__
            log.error("catalogue not loaded at start-up: %s: %s", self.last_error, _text(exc))
        if self.reload_interval > 0 or self._snapshot is None:
            self._task = asyncio.create_task(self._poll(), name="errcat-catalogue-reload")

    async def _poll(self) -> None:
        # With reloads off (interval 0) this still retries until a first catalogue is loaded.
        interval = self.reload_interval or FIRST_LOAD_RETRY
        while self.reload_interval > 0 or self._snapshot is None:
            await asyncio.sleep(interval)
            try:
                await self.reload()
                self.last_error = None
            except Exception as exc:  # keep serving the old snapshot; retry next round
                self.last_error = type(exc).__name__
                log.warning("catalogue reload failed: %s: %s", self.last_error, _text(exc))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.engine.dispose()


def _text(exc: BaseException) -> str:
    # A timeout's own text is empty: say which limit it was.
    if isinstance(exc, TimeoutError) and not str(exc):
        return "no answer within DB_TIMEOUT"
    return str(exc)


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (musl, macOS)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim: Callable[[int], int] = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


MALLOC_TRIM = _malloc_trim()


def freeze_survivors() -> None:
    """After a swap, as the lifespan does after start-up: collect what is cyclic garbage now,
    then freeze the survivors (the new snapshot above all) out of the collector's generations,
    so that no full collection walks 100,000 entries on the request path (docs/performance.md).
    A frozen object is still freed as soon as nothing refers to it: the snapshot has no
    reference cycles, so the old one goes when the last request holding it is done."""
    gc.collect()
    gc.freeze()


def trim_heap() -> None:
    """``malloc_trim(0)``: give the C heap's free pages back to the system (glibc keeps them
    otherwise, and the old snapshot's large arrays leave plenty). No-op without glibc."""
    if MALLOC_TRIM is not None:
        MALLOC_TRIM(0)
