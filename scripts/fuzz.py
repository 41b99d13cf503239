"""Fuzz a live errcat with schemathesis, on SQLite and on PostgreSQL: `make fuzz`.

For each backend it makes a throwaway database, starts `errcat serve` on a free port (which
migrates and seeds it), and runs `schemathesis run` against the served OpenAPI schema with every
check and every phase (examples, coverage, fuzzing, stateful). It fails when schemathesis reports
any failure or error, when the server logged a traceback, or when fewer test cases than
`--min-cases` ran in all (so a broken schema that yields no operations cannot pass).

    python scripts/fuzz.py                      # CI: both backends, 20 cases per operation
    python scripts/fuzz.py --examples 500       # a long local run
    python scripts/fuzz.py --backend sqlite --seed 7

PostgreSQL comes from TEST_DATABASE_URL (a database is created there for the run and dropped).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


def _asyncpg(url: str) -> str:
    return make_url(url).set(drivername="postgresql+asyncpg").render_as_string(False)


def wait_ready(base: str, server: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"fuzz: errcat exited with {server.returncode} before it was ready")
        try:
            with urllib.request.urlopen(f"{base}/ready", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"fuzz: errcat was not ready within {timeout:.0f} s")


def run_backend(backend: str, database_url: str, args: argparse.Namespace, out: Path) -> int:
    """Serve errcat on ``database_url``, fuzz it; the number of test cases run."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = out / f"errcat-{backend}.log"
    env = {**os.environ, "DATABASE_URL": database_url, "HOST": "127.0.0.1", "PORT": str(port)}
    env["RELOAD_INTERVAL"] = "0"
    with log_path.open("wb") as log:
        server = subprocess.Popen([str(BIN / "errcat"), "serve"], env=env, stderr=log, stdout=log)
        try:
            wait_ready(base, server)
            report_dir = out / backend
            command = [
                str(BIN / "schemathesis"),
                "--config-file",
                str(Path(__file__).resolve().parent / "schemathesis.toml"),
                "run",
                f"{base}/schema/openapi.json",
                "--checks",
                "all",
                "--max-examples",
                str(args.examples),
                "--seed",
                str(args.seed),
                "--report",
                "json",
                "--report-dir",
                str(report_dir),
                "--request-timeout",
                "10",
            ]
            print(f"== {backend}: {' '.join(command)}", flush=True)
            # Its cache (.schemathesis/) goes to the run's temporary folder, not the repository.
            finished = subprocess.run(command, cwd=out, check=False)
        finally:
            server.terminate()
            server.wait(20)
    report = json.loads(next(report_dir.glob("*.json")).read_text())
    cases = report["test_cases"]["generated"]
    problems = len(report["failures"]) + len(report["errors"])
    tracebacks = log_path.read_text(errors="replace").count("Traceback")
    print(
        f"== {backend}: {cases} test cases over {report['operations']['tested']} operations, "
        f"{problems} failures or errors, {tracebacks} tracebacks in the server log, "
        f"schemathesis exit {finished.returncode}",
        flush=True,
    )
    if finished.returncode != 0 or problems or tracebacks:
        # The temporary folder goes away: show the server's last words here.
        print(log_path.read_text(errors="replace")[-6000:], file=sys.stderr)
        raise SystemExit(f"fuzz: {backend} failed")
    return cases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--examples", type=int, default=20, help="test cases per operation")
    parser.add_argument("--min-cases", type=int, default=1000, help="fail below this, in all")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("FUZZ_SEED", "1")))
    args = parser.parse_args()
    total = 0
    with tempfile.TemporaryDirectory(prefix="errcat-fuzz-") as tmp:
        out = Path(tmp)
        if args.backend in {"sqlite", "both"}:
            total += run_backend("sqlite", f"sqlite:///{out / 'fuzz.db'}", args, out)
        if args.backend in {"postgres", "both"}:
            admin = os.environ.get("TEST_DATABASE_URL")
            if not admin:
                raise SystemExit("fuzz: TEST_DATABASE_URL is not set (the PostgreSQL run needs it)")
            name = f"errcat_fuzz_{secrets.token_hex(6)}"
            asyncio.run(_admin(_asyncpg(admin), f'CREATE DATABASE "{name}"'))
            try:
                url = make_url(admin).set(database=name).render_as_string(False)
                total += run_backend("postgres", url, args, out)
            finally:
                drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
                asyncio.run(_admin(_asyncpg(admin), drop))
    print(f"fuzz: {total} test cases in all, no failure")
    if total < args.min_cases:
        raise SystemExit(f"fuzz: only {total} test cases ran, fewer than {args.min_cases}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
