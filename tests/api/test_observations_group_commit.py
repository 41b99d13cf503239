"""When the group commit commits a batch (app.observations), through the real app on both
databases: at commit_at observations, after the flush interval, or at once when no other
request is on its way to it; requests arriving together share one transaction."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from app.main import create_app
from tests.observation_counts import stored_observations
from tests.served_client import ServedClient

TOKEN = "test-ingest-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
URL = "/observations"


def settings(db, **overrides):
    return db.settings(**{"ingest_token": TOKEN, **overrides})


def commits(client) -> float:
    found = re.search(
        r"^errcat_observations_commits_total ([0-9.e+]+)$", client.get("/metrics").text, re.M
    )
    return float(found[1]) if found else 0.0


@contextmanager
def another_request_on_its_way(client):
    """As if one more POST were being read or decoded: the batch waits for it (up to the flush
    interval, or commit_at observations) instead of committing at once."""
    hold = client.front.state["observations"].on_the_way()
    client.blocking_portal.call(hold.__enter__)
    try:
        yield
    finally:
        client.blocking_portal.call(hold.__exit__, None, None, None)


def test_requests_arriving_together_share_one_commit(seeded_db):
    patient = settings(seeded_db, observations_flush_seconds=60, observations_commit_timeout=120)
    stored = stored_observations(seeded_db.url)
    with ServedClient(app=create_app(patient)) as client:
        client.front.state["observations"].commit_at = 20  # the four requests' 20 observations
        before = commits(client)
        body = [{"code": 1201}] * 4 + ["status 503"]
        with another_request_on_its_way(client), ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda _: client.post(URL, json=body, headers=AUTH), range(4)))
        assert [a.status_code for a in answers] == [202] * 4
        assert commits(client) == before + 1
        assert stored_observations(seeded_db.url) == stored + 20


def test_a_batch_waits_for_requests_on_their_way_at_most_the_flush_interval(seeded_db):
    patient = settings(seeded_db, observations_flush_seconds=0.05)
    stored = stored_observations(seeded_db.url)
    with ServedClient(app=create_app(patient)) as client:
        assert client.front.state["observations"].commit_at > 4
        with another_request_on_its_way(client):  # it never comes: the interval commits
            assert client.post(URL, json=[{"code": 1201}] * 4, headers=AUTH).status_code == 202
        assert stored_observations(seeded_db.url) == stored + 4


def test_a_batch_no_request_is_on_its_way_to_is_committed_at_once(seeded_db):
    patient = settings(seeded_db, observations_commit_timeout=2)
    stored = stored_observations(seeded_db.url)
    with ServedClient(app=create_app(patient)) as client:
        # Were it to wait for the interval, its request would give up first (503).
        client.front.state["observations"].flush_seconds = 3600
        assert client.post(URL, json=[{"code": 1205}] * 2, headers=AUTH).status_code == 202
        assert stored_observations(seeded_db.url) == stored + 2
