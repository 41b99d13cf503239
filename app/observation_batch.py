"""The batch of observations a request joins while it waits for its commit (app.observations):
each request's share, and the gate that decides, once, whether the batch's COMMIT is sent."""

from __future__ import annotations

import asyncio
import enum
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

BUFFER_MAX_KEYS = 20_000  # distinct keys in the batch being gathered; beyond it a request gets 503

Key = tuple[int | None, str | None, int | None, str]


class Outcome(enum.Enum):
    COMMITTED = "committed"
    FULL = "full"  # the batch being gathered holds too many distinct keys
    TIMEOUT = "timeout"  # not committed within the wait: rolled back or never begun
    FAILED = "failed"  # the transaction failed (database away, or refused it): rolled back
    IN_DOUBT = "in_doubt"  # COMMIT was sent and its answer never came: maybe stored
    STOPPED = "stopped"  # the service is shutting down


class CommitGate:
    """Whether a batch's COMMIT may still be sent, decided once between the writer (possibly in
    a worker thread, which cannot be cancelled) and the requests' wait: no COMMIT after they were
    answered; and a COMMIT sent before they were may have happened (in doubt)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sent = False
        self._closed = False

    def open(self) -> bool:
        """The writer, just before COMMIT: may it send it?"""
        with self._lock:
            self._sent = not self._closed
            return self._sent

    def close(self) -> bool:
        """The waiting side, giving up: was COMMIT sent already?"""
        with self._lock:
            self._closed = True
            return self._sent


class BufferFull(Exception):
    """The batch being gathered cannot take a request's new keys."""


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
