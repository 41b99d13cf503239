"""A real ``errcat serve`` acknowledges observations, then stops: by SIGTERM (the database up,
or stalled behind a proxy), or by ``kill -9`` right after a burst of 202s. Afterwards the
database holds exactly what was acknowledged, on both databases."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from tests.live_server import free_port
from tests.observation_counts import stored_observations
from tests.tcp_proxy import TcpProxy

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "shutdown-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def serve(database_url: str, **env: str) -> tuple[subprocess.Popen[bytes], str]:
    """``errcat serve`` on a free port, ready: the process and its base URL."""
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "INGEST_TOKEN": TOKEN,
        "RELOAD_INTERVAL": "0",
        **env,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise AssertionError(proc.stdout.read().decode() if proc.stdout else "exited")
        try:
            if httpx.get(f"{base}/ready", timeout=1).status_code == 200:
                return proc, base
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("errcat serve did not become ready")
        time.sleep(0.2)


def post(base: str, batch: list[object]) -> int:
    """What one POST got acknowledged: its ``accepted`` on a 202, else 0 (a 503, or no answer
    at all from a process going away)."""
    try:
        response = httpx.post(f"{base}/observations", json=batch, headers=AUTH, timeout=30)
    except httpx.TransportError:
        return 0
    if response.status_code == 202:
        return int(response.json()["accepted"])
    assert response.status_code == 503, response.text
    return 0


def stop(proc: subprocess.Popen[bytes]) -> str:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.communicate(timeout=60)[0].decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_sigterm_writes_every_acknowledged_observation(tmp_path):
    db = tmp_path / "errcat.db"
    proc, base = serve(
        f"sqlite:///{db}", OBSERVATIONS_FLUSH_SECONDS="1", OBSERVATIONS_COMMIT_TIMEOUT="10"
    )
    try:
        accepted = 0
        for _ in range(5):
            batch = [{"code": 2401, "slug": "Tool_ToolNotFound", "status": 404}] * 3
            batch += ["HTTP/1.1 502 Bad Gateway", {"code": 4302, "status": 400}]
            accepted += post(base, batch)
        assert accepted == 25
        output = stop(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # uvicorn shuts down gracefully, then re-raises the signal: exit by SIGTERM (or 0)
    assert proc.returncode in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output
    assert "observations lost" not in output
    with sqlite3.connect(db) as conn:
        stored = conn.execute(
            "SELECT code, slug, status, confidence, count FROM observations"
        ).fetchall()
    assert sorted(stored, key=repr) == sorted(
        [
            (2401, "Tool_ToolNotFound", 404, "exact", 15),
            (None, None, 502, "none", 5),
            (4302, None, 400, "code", 5),  # 4302 is an amendment, served by default
        ],
        key=repr,
    )
    assert sum(row[4] for row in stored) == accepted


def test_sigterm_while_the_database_is_stalled_stores_what_was_acknowledged(postgres_db):
    url = make_url(postgres_db.url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    through = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    batch = [{"code": 1201}, "HTTP/1.1 503 Service Unavailable", {"code": 4302, "status": 400}]
    try:
        proc, base = serve(
            through,
            ERRCAT_MIGRATE="0",
            ERRCAT_SEED="0",
            DB_TIMEOUT="0.5",
            OBSERVATIONS_COMMIT_TIMEOUT="1",
        )
        try:
            acknowledged = sum(post(base, batch) for _ in range(4))
            assert acknowledged == 12
            proxy.pause()
            with ThreadPoolExecutor(4) as pool:
                waiting = [pool.submit(post, base, batch * 10) for _ in range(4)]
                time.sleep(0.3)  # let them reach the server; any that does not is not counted
                output = stop(proc)
                acknowledged += sum(f.result() for f in waiting)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    finally:
        proxy.close()
    assert proc.returncode in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output
    assert "observations lost" not in output
    assert stored_observations(postgres_db.url) == acknowledged


def test_kill_9_right_after_a_burst_of_202s_keeps_every_acknowledged_one(seeded_db):
    stored_before = stored_observations(seeded_db.url)
    proc, base = serve(seeded_db.url, ERRCAT_MIGRATE="0", ERRCAT_SEED="0")
    try:
        bodies = [
            [{"code": 1201}] * 7 + ["HTTP/1.1 502 Bad Gateway"] * 3,
            [{"code": 2401, "slug": "Tool_ToolNotFound", "status": 404}] * 5,
            [f"status {400 + n}" for n in range(20)],
        ]
        with ThreadPoolExecutor(8) as pool:
            accepted = list(pool.map(lambda i: post(base, bodies[i % 3]), range(60)))
        proc.kill()  # SIGKILL, at once: no shutdown of any kind
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert sum(accepted) == 20 * (10 + 5 + 20)  # every one was acknowledged
    assert stored_observations(seeded_db.url) - stored_before == sum(accepted)
