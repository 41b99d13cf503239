"""The server's memory and its event loop during a reload, on a synthetic catalogue.

    .venv/bin/python scripts/memory_profile.py              # 100,000 codes
    .venv/bin/python scripts/memory_profile.py --codes 10000
    .venv/bin/python scripts/memory_profile.py --inprocess  # where the snapshot's bytes go

Seeds a synthetic catalogue (scripts/synthetic_catalogue.py) into a temporary SQLite database,
starts `errcat serve` pinned to core 0 (RELOAD_INTERVAL=1, the bench's settings), and prints
its RSS (VmRSS) right after start-up, after some lookups and after the reload of a grown
revision seeded meanwhile (the seeder pinned to core 1, as in scripts/bench.py). While the
reload runs, a client on core 1 sends one lookup at a time: the slowest answer bounds how long
the server's event loop stalled. ``--inprocess`` builds the snapshot in this process instead
and lists, with tracemalloc, the lines that allocate what it holds.
Numbers are printed, never asserted; nothing is written into the repository.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic_catalogue import write_synthetic

# Routes whose answers are memoised per snapshot (what --exports asks for too).
EXPORTS = ("/catalogue", "/catalogue/report", "/catalogue.json", "/codes?status=404")
ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


# --probe: in the server, a task sleeping 1 ms in a loop; each second it prints (stderr) how
# late its worst wake-up was, when above 5 ms: how long the event loop could not run.
PROBE = """
import asyncio, os, sys, time
import app.live

_start = app.live.LiveCatalogue.start

async def _probe():
    window, worst = time.monotonic(), 0.0
    while True:
        t = time.monotonic()
        await asyncio.sleep(0.001)
        now = time.monotonic()
        worst = max(worst, now - t - 0.001)
        if now - window >= 1.0:
            if worst > 0.005:
                print(f"probe: loop stalled up to {worst * 1000:.0f} ms", file=sys.stderr)
            if os.environ.get("PROBE_SNAPSHOTS"):
                import gc
                gc.unfreeze()
                n = sum(1 for o in gc.get_objects() if type(o).__name__ == "Snapshot")
                gc.freeze()
                print(f"probe: {n} snapshots", file=sys.stderr)
            window, worst = now, 0.0

async def start(self):
    await _start(self)
    self._probe = asyncio.create_task(_probe())

app.live.LiveCatalogue.start = start
"""


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(found.group(1)) / 1024 if found else 0.0


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def errcat(env: dict[str, str], *args: str, core: str = "1") -> None:
    subprocess.run(
        ["taskset", "-c", core, str(BIN / "errcat"), *args],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def get(conn: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
    for attempt in (1, 2):
        try:
            conn.request("GET", path)
            answer = conn.getresponse()
            return answer.status, answer.read()
        except (ConnectionResetError, http.client.RemoteDisconnected):
            conn.close()  # a keep-alive connection the server closed: once more, on a new one
            if attempt == 2:
                raise
    raise AssertionError


def revision(conn: http.client.HTTPConnection) -> int:
    import json

    conn.close()  # (a new connection: the server may have closed an idle one)
    _, body = get(conn, "/catalogue")
    return int(json.loads(body)["version"]["revision"])


def served(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="errcat-mem-"))
    try:
        seed = write_synthetic(work / "seed.json", args.codes)
        grown = write_synthetic(work / "grown.json", args.codes + 1000)
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{work / 'mem.db'}",
            "RELOAD_INTERVAL": "1",
            "LOG_LEVEL": "WARNING",
            "ERRCAT_MIGRATE": "0",
            "ERRCAT_SEED": "0",
            "CORS_ORIGINS": "https://dashboard.example",
        }
        if args.probe:
            (work / "sitecustomize.py").write_text(PROBE)
            env["PYTHONPATH"] = str(work)
        errcat(env, "migrate")
        errcat(env, "seed", str(seed))
        port = free_port()
        began = time.monotonic()
        proc = subprocess.Popen(
            ["taskset", "-c", "0", str(BIN / "errcat"), "serve"],
            env={**env, "PORT": str(port), "HOST": "127.0.0.1"},
            cwd=ROOT,
            start_new_session=True,
        )
        try:
            conn = _wait_up(proc, port)
            startup = time.monotonic() - began
            time.sleep(1.5)
            idle = rss_mb(proc.pid)
            step = max(1, args.codes // 3000)
            codes = [20_000 + i for i in range(0, args.codes - 202, step)]
            for c in codes:
                get(conn, f"/codes/{c}")
            if args.exports:
                for path in EXPORTS:
                    get(conn, path)
            after_lookups = rss_mb(proc.pid)
            if args.wrk:
                _wrk_reload(args, port, codes, env, grown, conn)
                return
            before = revision(conn)
            seeder = subprocess.Popen(
                ["taskset", "-c", "1", str(BIN / "errcat"), "seed", str(grown)],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            # One lookup at a time until the new revision is served (and 1 s more).
            latencies: list[float] = []
            done_at: float | None = None
            i = 0
            while done_at is None or time.monotonic() < done_at + 1.0:
                t = time.perf_counter()
                get(conn, f"/codes/{codes[i % len(codes)]}")
                latencies.append(time.perf_counter() - t)
                i += 1
                polled = done_at is None and i % 50 == 0 and seeder.poll() is not None
                if polled and revision(conn) != before:
                    done_at = time.monotonic()
                time.sleep(0.001)
            seeder.wait(60)
            time.sleep(1.5)
            after_reload = rss_mb(proc.pid)
            if args.exports:
                for path in EXPORTS:
                    get(conn, path)
            after_reload_exports = rss_mb(proc.pid)
            latencies.sort()
            print(f"codes: {args.codes:,}")
            print(f"start-up to first 200: {startup:.2f} s")
            print(f"RSS idle after start-up: {idle:.0f} MB")
            print(f"RSS after lookups{' and exports' * args.exports}: {after_lookups:.0f} MB")
            print(f"RSS after the reload: {after_reload:.0f} MB")
            if args.exports:
                print(f"RSS after the reload and exports again: {after_reload_exports:.0f} MB")
            p99 = latencies[int(len(latencies) * 0.99)]
            print(
                f"sequential lookups during the reload: {len(latencies)}, "
                f"p50 {latencies[len(latencies) // 2] * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
                f"max {latencies[-1] * 1000:.1f} ms"
            )
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(20)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _wrk(port: int, script: Path, seconds: int) -> str:
    return subprocess.run(
        [
            *("taskset", "-c", "1", "wrk", "-t1", "-c32", f"-d{seconds}s", "--latency"),
            *("-s", str(script), f"http://127.0.0.1:{port}/"),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def _p99(out: str) -> str:
    found = re.search(r"99%\s+(\S+)", out)
    rps = re.search(r"Requests/sec:\s+(\S+)", out)
    return f"p99 {found.group(1) if found else '?'}, {rps.group(1) if rps else '?'} req/s"


def _wrk_reload(
    args: argparse.Namespace,
    port: int,
    codes: list[int],
    env: dict[str, str],
    grown: Path,
    conn: http.client.HTTPConnection,
) -> None:
    """wrk (core 1) over the codes, steady, then again while a grown revision is seeded (the
    seeder on core 1 too, 1 s in) and reloaded."""
    script = grown.parent / "rotate.lua"
    # every synthetic code, as the bench rotates over every code: the response cache misses
    every = range(codes[0], codes[0] + args.codes - 202)
    paths = ",".join(f'"/codes/{c}"' for c in every)
    script.write_text(
        f"paths = {{{paths}}}\ni = 0\nrequest = function()\n  i = i % #paths + 1\n"
        "  return wrk.format(nil, paths[i])\nend\n"
    )
    steady = _wrk(port, script, args.seconds)
    before = revision(conn)
    core = "1" if args.pin_seeder else "0-1"
    seeder = subprocess.Popen(
        [
            "sh",
            "-c",
            f"sleep 1; exec taskset -c {core} {BIN / 'errcat'} seed {grown}",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    during = _wrk(port, script, args.seconds)
    seeder.wait(60)
    reloaded = revision(conn) != before
    print(f"wrk steady: {_p99(steady)}")
    print(f"wrk during the reload (seeder on core {core}, reloaded: {reloaded}): {_p99(during)}")
    if args.verbose:
        print(steady, during)


def _wait_up(proc: subprocess.Popen[bytes], port: int) -> http.client.HTTPConnection:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"errcat serve exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            if get(conn, "/codes/1205")[0] == 200:
                return conn
        except OSError:
            time.sleep(0.02)
    raise SystemExit("errcat serve did not answer within 60 s")


def in_process(args: argparse.Namespace) -> None:
    import gc
    import tracemalloc

    import msgspec
    from synthetic_catalogue import synthetic_document

    from app.catalogue.build import build_snapshot
    from app.catalogue.model import CatalogueDocument, CatalogueVersion
    from app.seeds import canonical_bytes

    raw = canonical_bytes(synthetic_document(args.codes))
    version = CatalogueVersion(revision=1, content_hash="x", loaded_at="now")
    gc.collect()
    tracemalloc.start(4)
    base = tracemalloc.take_snapshot()
    t = time.perf_counter()
    doc = msgspec.json.decode(raw, type=CatalogueDocument)
    decoded = time.perf_counter() - t
    t = time.perf_counter()
    snap = build_snapshot(doc, version)
    built = time.perf_counter() - t
    del doc, raw
    gc.collect()
    held = tracemalloc.take_snapshot()
    stats = held.compare_to(base, "lineno")
    total = sum(s.size_diff for s in stats)
    print(
        f"decode {decoded:.2f} s, build {built:.2f} s; the snapshot holds {total / 2**20:.1f} MiB"
    )
    for s in stats[:15]:
        print(f"  {s.size_diff / 2**20:7.2f} MiB {s.count_diff:>8} blocks  {s.traceback[0]}")
    assert snap is not None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--codes", type=int, default=100_000)
    parser.add_argument("--inprocess", action="store_true")
    parser.add_argument("--exports", action="store_true", help="also ask for the exports")
    parser.add_argument("--wrk", action="store_true", help="p99 of wrk lookups during a reload")
    parser.add_argument("--seconds", type=int, default=8, help="each wrk run (--wrk)")
    parser.add_argument("--probe", action="store_true", help="the server reports loop stalls")
    parser.add_argument("--verbose", action="store_true", help="print wrk's output")
    parser.add_argument(
        "--unpinned-seeder", dest="pin_seeder", action="store_false", help="seeder on any core"
    )
    args = parser.parse_args()
    (in_process if args.inprocess else served)(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
