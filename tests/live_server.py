"""A real errcat served by uvicorn in a thread, on a free port of 127.0.0.1, from a freshly seeded
SQLite file: for tests that need a live HTTP server (the browser tests, the generated client)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from app.db.setup import migrate, seed
from app.main import create_app
from app.seeds import DEFAULT_SEED_PATH
from app.settings import Settings, async_database_url


def free_port() -> int:
    """A TCP port of 127.0.0.1 nothing listens on right now (for a server the test starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_seeded(folder: Path) -> Iterator[str]:
    """Yield the base URL (``http://127.0.0.1:<port>``) of errcat on ``folder/errcat.db``."""
    db = folder / "errcat.db"
    settings = Settings(database_url=async_database_url(f"sqlite:///{db}"), reload_interval=0)

    def prepare() -> None:
        migrate(settings)
        asyncio.run(seed(settings, DEFAULT_SEED_PATH))

    # In a thread of its own: the caller may keep an event loop running in this one (Playwright).
    with ThreadPoolExecutor(1) as pool:
        pool.submit(prepare).result()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
