"""store.bounded: the caller gets its answer at the timeout, even when cancelling the work takes
longer (as closing a connection to a stalled database can)."""

from __future__ import annotations

import asyncio

import pytest

from app.db.store import bounded


def test_a_result_within_the_timeout():
    async def work() -> int:
        await asyncio.sleep(0)
        return 7

    assert asyncio.run(bounded(work(), 1.0)) == 7


def test_errors_pass_through():
    async def work() -> None:
        raise ConnectionRefusedError("down")

    with pytest.raises(ConnectionRefusedError):
        asyncio.run(bounded(work(), 1.0))


def test_slow_clean_up_does_not_hold_the_caller():
    cleaned = asyncio.Event()

    async def work() -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            # a clean-up that ignores the cancellation for a while
            await asyncio.shield(asyncio.sleep(0.3))
            cleaned.set()

    async def run() -> bool:
        with pytest.raises(TimeoutError):
            await bounded(work(), 0.05)
        answered_before_clean_up = not cleaned.is_set()
        await asyncio.wait_for(cleaned.wait(), 5)  # and the clean-up still ran to its end
        return answered_before_clean_up

    assert asyncio.run(run()) is True
