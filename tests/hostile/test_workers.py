"""WEB_CONCURRENCY above 1: errcat's server starts uvicorn's worker processes (each with the
edge's limits), serves from them, and stops them all on SIGTERM."""

from __future__ import annotations

import signal

from tests.hostile.server_process import ServerProcess, get, request


def test_two_workers_serve_and_stop(seeded_db, tmp_path):
    proc = ServerProcess(seeded_db.url, tmp_path / "server.log", WEB_CONCURRENCY="2")
    try:
        for _ in range(20):
            status, _, body = request(proc.port, get("/codes/1205"))
            assert status == 200 and b"AuthRefreshRequired" in body
        status, _, _ = request(proc.port, get("/codes/1205", "Content-Length: x"))
        assert status == 400  # the edge's own checks run in the workers too
        proc.proc.send_signal(signal.SIGTERM)
        assert proc.proc.wait(30) == 0, proc.log()
        assert proc.log().count("Started server process") == 2, proc.log()
    finally:
        proc.stop()
