"""The running service's catalogue: one immutable Snapshot, swapped whole when a revision lands.

Requests read ``live.snapshot`` (one attribute read, no lock: the swap is a single assignment).
A background task asks the database for its newest revision every ``reload_interval`` seconds
and, when it differs, builds the new Snapshot completely before swapping it in, so requests keep
answering from the old one meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalogue.errors import CatalogueNotLoaded
from app.catalogue.model import Snapshot
from app.catalogue.query import build_snapshot
from app.db import store

log = logging.getLogger("errcat")

FIRST_LOAD_RETRY = 5.0  # seconds between attempts at a first load when reloads are off


class LiveCatalogue:
    def __init__(self, engine: AsyncEngine, reload_interval: float) -> None:
        self.engine = engine
        self.reload_interval = reload_interval
        self._snapshot: Snapshot | None = None
        self.reloads = 0
        self.last_error: str | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def loaded(self) -> Snapshot | None:
        return self._snapshot

    @property
    def snapshot(self) -> Snapshot:
        snap = self._snapshot
        if snap is None:
            raise CatalogueNotLoaded
        return snap

    async def reload(self) -> bool:
        """Load the newest revision if it differs from the one served; True when swapped."""
        latest = await store.latest_revision(self.engine)
        current = self._snapshot
        if latest is None or (current is not None and current.version.revision == latest):
            return False
        found = await store.read_catalogue(self.engine)
        if found is None:
            return False
        doc, version = found
        self._snapshot = build_snapshot(doc, version)
        self.reloads += 1
        log.info("catalogue revision %s loaded", version.revision)
        return True

    async def start(self) -> None:
        try:
            await self.reload()
        except Exception as exc:  # the service still starts; /ready says why it is not ready
            self.last_error = type(exc).__name__
            log.error("catalogue not loaded at start-up: %s: %s", self.last_error, exc)
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
                log.warning("catalogue reload failed: %s: %s", self.last_error, exc)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.engine.dispose()
