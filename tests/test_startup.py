"""``errcat serve`` with the database away at start-up: it waits with bounded backoff, says so in
JSON log lines, and serves once the database answers; DB_TIMEOUT and friends parse."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import httpx
import pytest
from sqlalchemy.engine import make_url

from app.seeds import SeedError
from app.settings import Settings, SettingsError
from app.startup import StartupError, with_backoff
from tests.live_server import free_port
from tests.tcp_proxy import TcpProxy


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_backoff_doubles_up_to_its_bound_then_succeeds(caplog):
    clock = Clock()
    failures = iter(range(8))

    def step() -> str:
        if next(failures, None) is not None:
            raise ConnectionRefusedError("[Errno 111] Connect call failed")
        return "done"

    with caplog.at_level("INFO", logger="errcat"):
        assert with_backoff(step, "migration", sleep=clock.sleep, clock=lambda: clock.now) == "done"
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]
    retries = [r for r in caplog.records if "retrying in" in r.getMessage()]
    assert len(retries) == 8 and "ConnectionRefusedError" in retries[0].getMessage()
    assert retries[0].attempt == 1 and retries[0].retry_in == 0.5
    assert "succeeded after 9 attempts" in caplog.records[-1].getMessage()


def test_backoff_gives_up_after_the_startup_timeout():
    clock = Clock()

    def step() -> None:
        raise OSError("down")

    with pytest.raises(StartupError, match="migration failed: OSError: down"):
        with_backoff(step, "migration", timeout=5, sleep=clock.sleep, clock=lambda: clock.now)
    assert sum(clock.sleeps) <= 5


def test_problems_retrying_cannot_fix_are_raised_at_once():
    clock = Clock()

    def step() -> None:
        raise SeedError("bad seed file")

    with pytest.raises(SeedError):
        with_backoff(step, "seeding", sleep=clock.sleep, clock=lambda: clock.now)
    assert clock.sleeps == []


def test_settings():
    s = Settings.from_env(
        {
            "DB_TIMEOUT": "0.5",
            "METRICS_TOKEN": "t",
            "REDIS_URL": "redis://r:6379/0",
            "REDIS_PREFIX": "x:",
            "FORWARDED_ALLOW_IPS": "10.0.0.1,",
            "STARTUP_TIMEOUT": "60",
        }
    )
    assert (s.db_timeout, s.metrics_token, s.redis_url, s.redis_prefix) == (
        0.5,
        "t",
        "redis://r:6379/0",
        "x:",
    )
    assert s.forwarded_allow_ips == ("10.0.0.1",) and s.startup_timeout == 60
    defaults = Settings.from_env({})
    assert defaults.db_timeout == 2.0 and defaults.metrics_token is None
    assert defaults.redis_url is None and defaults.forwarded_allow_ips == ()
    for bad in ("0", "-1", "soon"):
        with pytest.raises(SettingsError, match="DB_TIMEOUT"):
            Settings.from_env({"DB_TIMEOUT": bad})


def test_serve_waits_for_the_database_then_serves(postgres_db, monkeypatch):
    url = make_url(postgres_db.url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    proxy.cut()  # the database is "down" when errcat starts
    port = free_port()
    through = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    env = {
        **os.environ,
        "DATABASE_URL": through,
        "PORT": str(port),
        "RELOAD_INTERVAL": "0.5",
    }
    server = subprocess.Popen(
        [sys.executable, "-c", "import sys; from app.cli import main; sys.exit(main(['serve']))"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    try:
        # at least two retries logged while the database is away, as JSON lines
        while sum("retrying in" in line for line in lines) < 2:
            line = server.stderr.readline()
            assert line, f"errcat serve exited: {''.join(lines)}"
            lines.append(line)
        assert server.poll() is None
        retry = json.loads(next(line for line in lines if "retrying in" in line))
        assert retry["level"] == "warning" and retry["attempt"] >= 1
        assert "migration failed" in retry["message"]
        proxy.restore()
        deadline = time.monotonic() + 60
        while True:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2)
                if ready.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, "errcat serve exited"
            assert time.monotonic() < deadline, "errcat serve never became ready"
            time.sleep(0.2)
        assert ready.json()["database"]["state"] == "ok"
        assert httpx.get(f"http://127.0.0.1:{port}/codes/1205").json()["code"] == 1205
    finally:
        server.terminate()
        try:
            server.wait(15)
        finally:
            server.stderr.close()
            proxy.close()
