"""A real ``errcat serve`` acknowledges observations, gets SIGTERM, and has written every one."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.live_server import free_port

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "shutdown-test-token"


def test_sigterm_writes_every_acknowledged_observation(tmp_path):
    db = tmp_path / "errcat.db"
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "INGEST_TOKEN": TOKEN,
        "OBSERVATIONS_FLUSH_SECONDS": "3600",  # only the shutdown flush can write them
        "RELOAD_INTERVAL": "0",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stdout.read().decode()
            try:
                if httpx.get(f"{base}/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "errcat serve did not become ready"
            time.sleep(0.2)
        auth = {"Authorization": f"Bearer {TOKEN}"}
        accepted = 0
        for _ in range(5):
            batch = [{"code": 2401, "slug": "Tool_ToolNotFound", "status": 404}] * 3
            batch += ["HTTP/1.1 502 Bad Gateway", {"code": 4302, "status": 400}]
            response = httpx.post(f"{base}/observations", json=batch, headers=auth, timeout=10)
            assert response.status_code == 202, response.text
            accepted += response.json()["accepted"]
        assert accepted == 25
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=60)[0].decode()
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
