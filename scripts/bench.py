"""Throughput of errcat's hot paths, as ratios against baselines measured in the same run.

    make bench            (or: .venv/bin/python scripts/bench.py --duration 10)

Needs `wrk` (Debian: apt-get install wrk). Each server runs on core 0 (uvicorn, uvloop,
httptools, one worker, no access log), wrk on core 1, against loopback only. Servers:
- ``bare``: a minimal Litestar app answering one msgspec Struct from a dict: the stack's floor
  (21.8k req/s for this shape on the development VM, see docs/performance.md);
- ``errcat``: the real app (request ids, metrics, conditional GETs) on a seeded SQLite file;
- ``errcat-lean``: the real app with METRICS=0 (no Prometheus middleware), to price metrics.
Numbers are printed, never asserted: timings do not belong in pass/fail tests.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

BARE_APP = """
import msgspec
from litestar import Litestar, get

class Item(msgspec.Struct):
    code: int
    name: str
    status: int
    description: str

DATA = {1205: Item(1205, "AuthRefreshRequired", 422, "Authentication refresh required")}

@get("/codes/{code:int}", sync_to_thread=False)
def one(code: int) -> Item:
    return DATA[code]

app = Litestar([one])
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except Exception:
            time.sleep(0.2)
    raise RuntimeError(f"server at {url} did not answer")


def serve(
    target: str, env: dict[str, str], port: int, factory: bool, cwd: Path
) -> subprocess.Popen:
    """Start uvicorn pinned to core 0."""
    cmd = [
        "taskset",
        "-c",
        "0",
        PY,
        "-m",
        "uvicorn",
        target,
        "--port",
        str(port),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    if factory:
        cmd.append("--factory")
    return subprocess.Popen(cmd, env=env, cwd=cwd, start_new_session=True)


def wrk(url: str, duration: int, script: Path | None = None) -> tuple[float, float]:
    cmd = ["taskset", "-c", "1", "wrk", "-t1", "-c32", f"-d{duration}s", "--latency"]
    if script:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    return rps, float(p99.group(1)) * scale


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2

    work = Path(tempfile.mkdtemp(prefix="errcat-bench-"))
    (work / "bare_app.py").write_text(BARE_APP)
    post = work / "post.lua"
    post.write_text(
        'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
        'wrk.body = \'{"error": {"message": "Authentication refresh required", "code": 1205, '
        '"slug": "TriggerInstance_AuthRefreshRequired", "status": 422, "request_id": "req_1", '
        '"suggested_fix": "Refresh the token"}}\'\n'
    )
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{work / 'bench.db'}",
        "RELOAD_INTERVAL": "0",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": f"{ROOT}:{work}",
    }
    subprocess.run(
        [PY, "-m", "app.cli", "migrate"], env=env, cwd=ROOT, check=True, capture_output=True
    )
    subprocess.run(
        [PY, "-m", "app.cli", "seed"], env=env, cwd=ROOT, check=True, capture_output=True
    )

    servers = {
        "bare": ("bare_app:app", False),
        "errcat": ("app.main:create_app", True),
        "errcat-lean": ("app.main:create_app", True),
    }
    cases = {
        "bare": [("GET /codes/1205 (floor)", "/codes/1205", None)],
        "errcat": [
            ("GET /health", "/health", None),
            ("GET /codes/1205", "/codes/1205", None),
            ("GET /codes/10503 (two entries)", "/codes/10503", None),
            ("GET /codes?status=422", "/codes?status=422", None),
            ("GET /ranges/resolve?code=1810", "/ranges/resolve?code=1810", None),
            ("GET /codes/99999 (404 envelope)", "/codes/99999", None),
            ("POST /validate-envelope", "/validate-envelope", post),
        ],
        "errcat-lean": [("GET /codes/1205 (no metrics)", "/codes/1205", None)],
    }
    results = []
    for name, (target, factory) in servers.items():
        port = free_port()
        server_env = {**env, "METRICS": "0"} if name == "errcat-lean" else env
        proc = serve(target, server_env, port, factory, ROOT)
        try:
            wait_up(f"http://127.0.0.1:{port}/codes/1205")
            for label, path, script in cases[name]:
                wrk(f"http://127.0.0.1:{port}{path}", 2, script)  # warm-up
                rps, p99 = wrk(f"http://127.0.0.1:{port}{path}", args.duration, script)
                results.append((f"{name}: {label}", rps, p99))
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)
    floor = results[0][1]
    print(f"\n{'case':58} {'req/s':>9} {'p99 ms':>8} {'vs floor':>9}")
    for label, rps, p99 in results:
        print(f"{label:58} {rps:9.0f} {p99:8.2f} {rps / floor:8.2f}x")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
