"""The batch a request joins (its keys in, and out again when it gives up) and the observation
settings."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from app.db.observation_store import refused_by_database
from app.observation_batch import BufferFull, CommitGate, PendingBatch
from app.observations import as_body
from app.settings import Settings, SettingsError

T1 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
T2 = datetime(2026, 11, 25, 10, 5, tzinfo=UTC)
A = (2401, "Tool_ToolNotFound", 404, "exact")
B = (None, None, 502, "none")
C = (1205, None, None, "code")


@pytest.fixture
def join():
    loop = asyncio.new_event_loop()  # the future a request waits on belongs to a loop

    def join_(batch, keys, seen, max_keys=20_000):
        return batch.join(keys, seen, 0.0, loop.create_future(), max_keys)

    yield join_
    loop.close()


def test_counts_and_times_per_key(join):
    batch = PendingBatch()
    join(batch, [A, A, B], T1)
    join(batch, [A], T2)
    assert len(batch) == 2 and batch.items == 4
    assert PendingBatch.counts(batch.shares) == {A: (3, T1, T2), B: (1, T1, T1)}


def test_a_request_that_does_not_fit_is_refused_whole(join):
    batch = PendingBatch()
    join(batch, [A], T1, max_keys=2)
    with pytest.raises(BufferFull):
        join(batch, [A, B, C], T2, max_keys=2)
    # nothing of the refused request was counted
    assert PendingBatch.counts(batch.shares) == {A: (1, T1, T1)}
    join(batch, [A, B], T1, max_keys=2)  # known keys never count against the bound
    join(batch, [A, B, A], T2, max_keys=2)
    assert batch.items == 6


def test_a_request_that_leaves_takes_its_observations_with_it(join):
    batch = PendingBatch()
    first = join(batch, [A, B], T1)
    second = join(batch, [A, C], T2, max_keys=3)
    batch.leave(first)
    assert len(batch) == 2 and batch.items == 2
    assert PendingBatch.counts(batch.shares) == {A: (1, T2, T2), C: (1, T2, T2)}
    join(batch, [B], T1, max_keys=3)  # B's place was freed
    batch.leave(second)
    assert PendingBatch.counts(batch.shares) == {B: (1, T1, T1)}


def test_the_commit_gate_decides_once():
    answered_first = CommitGate()
    assert answered_first.close() is False  # the requests gave up before COMMIT...
    assert answered_first.open() is False  # ...so the writer may not send it
    committed_first = CommitGate()
    assert committed_first.open() is True
    assert committed_first.close() is True  # COMMIT went out: a failure now is in doubt


def test_only_an_answer_from_the_database_proves_a_commit_failed():
    import sqlite3

    from sqlalchemy.exc import OperationalError

    locked = OperationalError("COMMIT", {}, sqlite3.OperationalError("database is locked"))
    assert refused_by_database(locked)
    lost = OperationalError("COMMIT", {}, ConnectionResetError("reset"))
    assert not refused_by_database(lost)
    broken = OperationalError("COMMIT", {}, sqlite3.OperationalError("x"))
    broken.connection_invalidated = True
    assert not refused_by_database(broken)
    assert not refused_by_database(TimeoutError())
    assert not refused_by_database(ConnectionResetError())


def test_batch_items_as_bodies():
    assert as_body("502 Bad Gateway") == "502 Bad Gateway"
    assert as_body({"code": 1}) == b'{"code":1}'
    assert as_body(None) == b"null"


def test_observation_settings():
    s = Settings.from_env({})
    assert s.ingest_token is None and s.observations_max_keys == 10_000
    assert (s.observations_flush_seconds, s.observations_commit_timeout) == (0.02, 3.0)
    s = Settings.from_env(
        {
            "INGEST_TOKEN": " tok-123 ",
            "OBSERVATIONS_FLUSH_SECONDS": "0.5",
            "OBSERVATIONS_COMMIT_TIMEOUT": "10",
            "OBSERVATIONS_MAX_KEYS": "50",
        }
    )
    assert (s.ingest_token, s.observations_flush_seconds, s.observations_max_keys) == (
        "tok-123",
        0.5,
        50,
    )
    assert s.observations_commit_timeout == 10.0
    assert "tok-123" not in repr(s)
    assert Settings.from_env({"INGEST_TOKEN": "  "}).ingest_token is None
    for env in (
        {"OBSERVATIONS_FLUSH_SECONDS": "0"},
        {"OBSERVATIONS_FLUSH_SECONDS": "soon"},
        {"OBSERVATIONS_COMMIT_TIMEOUT": "0"},
        {"OBSERVATIONS_COMMIT_TIMEOUT": "later"},
        {"OBSERVATIONS_MAX_KEYS": "0"},
        {"OBSERVATIONS_MAX_KEYS": "many"},
    ):
        with pytest.raises(SettingsError):
            Settings.from_env(env)


def test_a_batch_may_not_wait_longer_than_its_requests():
    with pytest.raises(SettingsError, match="OBSERVATIONS_FLUSH_SECONDS=5 is not accepted"):
        Settings.from_env({"OBSERVATIONS_FLUSH_SECONDS": "5"})
    with pytest.raises(SettingsError, match="less than OBSERVATIONS_COMMIT_TIMEOUT"):
        Settings.from_env({"OBSERVATIONS_FLUSH_SECONDS": "2", "OBSERVATIONS_COMMIT_TIMEOUT": "2"})
    long = Settings.from_env(
        {"OBSERVATIONS_FLUSH_SECONDS": "3600", "OBSERVATIONS_COMMIT_TIMEOUT": "7200"}
    )
    assert long.observations_flush_seconds == 3600
