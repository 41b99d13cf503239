"""The benchmark's tools (scripts/bench.py): servers started and pinned, wrk runs and their
readings, seeded databases. Numbers are measured here, compared and written by bench.py."""

from __future__ import annotations

import os
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PAGE_SEED = ROOT / "seeds" / "catalogue.json"
ENVELOPE = (
    '{"error": {"message": "Authentication refresh required", "code": 1205, '
    '"slug": "TriggerInstance_AuthRefreshRequired", "status": 422, "request_id": "req_1", '
    '"suggested_fix": "Refresh the token"}}'
)
INGEST_TOKEN = "bench-ingest-token"  # POST /observations is on only with a token


@dataclass
class Server:
    name: str
    proc: subprocess.Popen
    port: int
    started: float
    ready_after: float = 0.0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(20)


@dataclass
class Measure:
    rps: float
    p50: float
    p99: float


@dataclass
class Results:
    machine: dict[str, str]
    cases: list[dict] = field(default_factory=list)
    sizes: list[dict] = field(default_factory=list)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(server: Server, path: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise SystemExit(f"bench: {server.name} exited with {server.proc.returncode}")
        try:
            with urllib.request.urlopen(server.url(path), timeout=1) as answer:
                if answer.status == 200:
                    server.ready_after = time.monotonic() - server.started
                    return
        except OSError:
            time.sleep(0.02)
    raise SystemExit(f"bench: {server.name} did not answer {path} within {timeout} s")


def start(name: str, command: list[str], env: dict[str, str], ready_path: str) -> Server:
    port = free_port()
    env = {**env, "PORT": str(port), "HOST": "127.0.0.1"}
    cmd = ["taskset", "-c", "0", *command]
    if command[0].endswith("uvicorn"):
        cmd += ["--port", str(port)]
    server = Server(
        name,
        subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True),
        port,
        time.monotonic(),
    )
    wait_up(server, ready_path)
    return server


def uvicorn(target: str) -> list[str]:
    return [
        str(BIN / "uvicorn"),
        target,
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
    ]


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


EXPECTED_ERRORS = frozenset({"resolve"})  # wrk scripts whose rotation includes an error


def wrk(url: str, seconds: float, connections: int, script: Path | None) -> Measure:
    cmd = [
        "taskset",
        "-c",
        "1",
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
    ]
    if script:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    # The resolve rotation asks for a number in no range (4321) on purpose: its 404s are expected.
    if re.search(r"Non-2xx or 3xx responses: (\d+)", out) and not (
        script and script.stem in EXPECTED_ERRORS
    ):
        print(f"bench: warning: non-2xx answers from {url}", file=sys.stderr)
    return Measure(rps, _ms(*p50.groups()), _ms(*p99.groups()))


def lua(
    work: Path,
    name: str,
    paths: list[str],
    *,
    method: str = "GET",
    body: str | None = None,
    headers: dict[str, str] | None = None,
) -> Path:
    """A wrk script rotating over ``paths`` (one request each, in turn)."""
    lines = [f"wrk.method = {method!r}".replace("'", '"')]
    for key, value in (headers or {}).items():
        lines.append(f'wrk.headers["{key}"] = "{value}"')
    if body is not None:
        lines.append(f"wrk.body = [==[{body}]==]")  # a body may end in "]" (an array)
    lines.append("paths = {" + ",".join(f'"{p}"' for p in paths) + "}")
    lines.append("i = 0")
    lines.append(
        "request = function()\n  i = i % #paths + 1\n  return wrk.format(nil, paths[i])\nend"
    )
    path = work / f"{name}.lua"
    path.write_text("\n".join(lines) + "\n")
    return path


def median(values: list[Measure]) -> Measure:
    return Measure(
        *(statistics.median(getattr(m, k) for m in values) for k in ("rps", "p50", "p99"))
    )


def cli(env: dict[str, str], *command: str) -> float:
    began = time.monotonic()
    subprocess.run(
        [str(BIN / "errcat"), *command], env=env, cwd=ROOT, check=True, capture_output=True
    )
    return time.monotonic() - began


def seeded_env(work: Path, name: str, seed: Path, url: str | None = None) -> tuple[dict, float]:
    """A database holding ``seed``: the env to serve it, and the seconds seeding took."""
    env = {
        **os.environ,
        "DATABASE_URL": url or f"sqlite:///{work / (name + '.db')}",
        "RELOAD_INTERVAL": "0",
        "LOG_LEVEL": "WARNING",
        "ERRCAT_MIGRATE": "0",
        "ERRCAT_SEED": "0",
        "CORS_ORIGINS": "https://dashboard.example",
    }
    cli(env, "migrate")
    return env, cli(env, "seed", str(seed))


def codes_of(seed: Path) -> list[int]:
    import msgspec

    doc = msgspec.json.decode(seed.read_bytes())
    return sorted({row["code"] for s in doc["sections"] for row in s["rows"]})
