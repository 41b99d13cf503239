"""The in-memory observation buffer and the observation settings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.observations import BufferFull, ObservationBuffer, as_body
from app.settings import Settings, SettingsError

T1 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
T2 = datetime(2026, 11, 25, 10, 5, tzinfo=UTC)
A = (2401, "Tool_ToolNotFound", 404, "exact")
B = (None, None, 502, "none")
C = (1205, None, None, "code")


def test_counts_and_times_per_key():
    buffer = ObservationBuffer()
    buffer.add_all([A, A, B], T1)
    buffer.add_all([A], T2)
    assert len(buffer) == 2 and buffer.pending == 4
    assert buffer.take() == {A: (3, T1, T2), B: (1, T1, T1)}
    assert len(buffer) == 0 and buffer.take() == {}


def test_a_batch_that_does_not_fit_is_refused_whole():
    buffer = ObservationBuffer(max_keys=2)
    buffer.add_all([A], T1)
    with pytest.raises(BufferFull):
        buffer.add_all([A, B, C], T2)
    assert buffer.take() == {A: (1, T1, T1)}  # nothing of the refused batch was counted
    buffer.add_all([A, B], T1)  # known keys never count against the bound
    buffer.add_all([A, B, A], T2)
    assert buffer.pending == 5


def test_restore_merges_what_a_failed_flush_took():
    buffer = ObservationBuffer()
    buffer.add_all([A], T1)
    taken = buffer.take()
    buffer.add_all([A, B], T2)
    buffer.restore(taken)
    assert buffer.take() == {A: (2, T1, T2), B: (1, T2, T2)}


def test_batch_items_as_bodies():
    assert as_body("502 Bad Gateway") == "502 Bad Gateway"
    assert as_body({"code": 1}) == b'{"code":1}'
    assert as_body(None) == b"null"


def test_observation_settings():
    s = Settings.from_env({})
    assert (s.ingest_token, s.observations_flush_seconds, s.observations_max_keys) == (
        None,
        2.0,
        10_000,
    )
    s = Settings.from_env(
        {
            "INGEST_TOKEN": " tok-123 ",
            "OBSERVATIONS_FLUSH_SECONDS": "0.5",
            "OBSERVATIONS_MAX_KEYS": "50",
        }
    )
    assert (s.ingest_token, s.observations_flush_seconds, s.observations_max_keys) == (
        "tok-123",
        0.5,
        50,
    )
    assert "tok-123" not in repr(s)
    assert Settings.from_env({"INGEST_TOKEN": "  "}).ingest_token is None
    for env in (
        {"OBSERVATIONS_FLUSH_SECONDS": "0"},
        {"OBSERVATIONS_FLUSH_SECONDS": "soon"},
        {"OBSERVATIONS_MAX_KEYS": "0"},
        {"OBSERVATIONS_MAX_KEYS": "many"},
    ):
        with pytest.raises(SettingsError):
            Settings.from_env(env)
