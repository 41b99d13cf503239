"""CircuitBreaker: after a failure the dependency is skipped for a back-off, then one call
probes it; each change of state is logged once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest

from app.breaker import FIRST_BACKOFF, MAX_BACKOFF, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Dependency:
    """Counts the calls that reached it; fails while ``down``."""

    def __init__(self) -> None:
        self.down = False
        self.calls = 0

    async def ask(self, value: int) -> int:
        self.calls += 1
        if self.down:
            raise TimeoutError("no answer")
        return value


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def lines(self, level: int = logging.INFO) -> list[tuple[str, str]]:
        return [(r.levelname, r.getMessage()) for r in self.records if r.levelno >= level]


@pytest.fixture
def logged() -> Iterator[Records]:
    """errcat's records, wherever its logging was configured to go (caplog's root handler does
    not see them once an app configured it: the errcat logger does not propagate)."""
    logger = logging.getLogger("errcat")
    handler, level = Records(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def breaker(clock: Clock) -> CircuitBreaker:
    return CircuitBreaker("test store", meanwhile="going without", clock=clock)


def test_a_failure_skips_the_dependency_until_its_backoff_is_over(breaker, clock, logged):
    dependency = Dependency()

    async def run() -> None:
        assert await breaker.call(dependency.ask, 1) == 1
        dependency.down = True
        results = [await breaker.call(dependency.ask, 2) for _ in range(50)]
        assert results == [None] * 50
        assert dependency.calls == 2  # the first success, then one failure: 49 skipped
        assert breaker.state == "open"
        clock.now += FIRST_BACKOFF - 0.01
        assert await breaker.call(dependency.ask, 3) is None
        assert dependency.calls == 2
        clock.now += 0.01  # the back-off is over: one probe, which fails
        assert [await breaker.call(dependency.ask, 4) for _ in range(20)] == [None] * 20
        assert dependency.calls == 3

    asyncio.run(run())
    assert logged.lines() == [
        ("WARNING", "test store unavailable (TimeoutError): going without; tried again in 1 s")
    ]
    assert logged.lines(logging.DEBUG)[1:] == [
        ("DEBUG", "test store still unavailable (TimeoutError)")
    ]


def test_failed_probes_double_the_backoff_up_to_its_bound(breaker, clock):
    dependency = Dependency()
    dependency.down = True
    waits = []

    async def run() -> None:
        await breaker.call(dependency.ask, 1)
        for _ in range(8):
            waits.append(breaker.retry_at - clock.now)
            clock.now = breaker.retry_at
            assert await breaker.call(dependency.ask, 1) is None

    asyncio.run(run())
    assert waits == [1.0, 2.0, 4.0, 8.0, MAX_BACKOFF, MAX_BACKOFF, MAX_BACKOFF, MAX_BACKOFF]
    assert dependency.calls == 9  # the failure and one probe per back-off, nothing else


def test_a_successful_probe_closes_the_breaker_and_resets_the_backoff(breaker, clock, logged):
    dependency = Dependency()
    dependency.down = True

    async def run() -> None:
        await breaker.call(dependency.ask, 1)
        clock.now = breaker.retry_at
        await breaker.call(dependency.ask, 1)  # a failed probe: the back-off doubles
        assert breaker.backoff == 2 * FIRST_BACKOFF
        dependency.down = False
        clock.now = breaker.retry_at
        assert await breaker.call(dependency.ask, 7) == 7
        assert breaker.state == "closed" and breaker.backoff == FIRST_BACKOFF
        assert [await breaker.call(dependency.ask, i) for i in range(5)] == list(range(5))

    asyncio.run(run())
    assert dependency.calls == 2 + 1 + 5
    assert logged.lines() == [
        ("WARNING", "test store unavailable (TimeoutError): going without; tried again in 1 s"),
        ("INFO", "test store reachable again"),
    ]


def test_while_one_call_probes_the_others_skip_the_dependency(breaker, clock):
    release = asyncio.Event()
    calls = 0

    async def stalled() -> int:
        nonlocal calls
        calls += 1
        await release.wait()
        raise TimeoutError("no answer")

    async def run() -> None:
        nonlocal calls
        # Concurrent calls already waiting when the dependency stalls all fail; only the first
        # failure opens the breaker (one warning, one back-off).
        waiting = [asyncio.create_task(breaker.call(stalled)) for _ in range(5)]
        await asyncio.sleep(0)
        release.set()
        assert await asyncio.gather(*waiting) == [None] * 5
        assert calls == 5 and breaker.backoff == FIRST_BACKOFF
        release.clear()
        clock.now = breaker.retry_at
        probe = asyncio.create_task(breaker.call(stalled))
        await asyncio.sleep(0)
        assert breaker.state == "probing"
        assert [await breaker.call(stalled) for _ in range(10)] == [None] * 10
        assert calls == 6  # only the probe reached the dependency
        release.set()
        assert await probe is None
        assert breaker.state == "open" and breaker.backoff == 2 * FIRST_BACKOFF

    asyncio.run(run())


def test_a_cancelled_probe_lets_a_later_one_try(breaker, clock):
    dependency = Dependency()
    dependency.down = True

    async def never() -> int:
        await asyncio.Event().wait()
        return 0

    async def run() -> None:
        await breaker.call(dependency.ask, 1)
        clock.now = breaker.retry_at
        probe = asyncio.create_task(breaker.call(never))
        await asyncio.sleep(0)
        probe.cancel()
        with pytest.raises(asyncio.CancelledError):
            await probe
        assert breaker.state == "open"
        clock.now = breaker.retry_at
        dependency.down = False
        assert await breaker.call(dependency.ask, 5) == 5
        assert breaker.state == "closed"

    asyncio.run(run())
