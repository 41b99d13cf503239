"""A real errcat server (app.server.run: uvicorn, uvloop, EdgeProtocol) in a subprocess, and a
raw-socket HTTP client, for tests of what the HTTP server itself does with hostile clients."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import weakref
from pathlib import Path

from tests.live_server import free_port

ROOT = Path(__file__).resolve().parents[2]


class ServerProcess:
    def __init__(self, database_url: str, log_path: Path, **env: str) -> None:
        self.port = free_port()
        self.log_path = log_path
        environment = {
            **os.environ,
            "DATABASE_URL": database_url,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "RELOAD_INTERVAL": "0",
            **env,
        }
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from app.server import run; from app.settings import Settings; "
                "run(Settings.from_env())",
            ],
            cwd=ROOT,
            env=environment,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                if request(self.port, get("/ready"))[0] == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"errcat did not start:\n{self.log()}")
            time.sleep(0.1)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_records(self) -> list[dict]:
        out = []
        for line in self.log().splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


def get(path: str, *headers: str) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: errcat", "Connection: close", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def connect(port: int, timeout: float = 10) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return sock


# Bytes read past one response (pipelining), kept for the next read on the same socket.
_leftover: weakref.WeakKeyDictionary[socket.socket, bytes] = weakref.WeakKeyDictionary()


def read_response(sock: socket.socket) -> tuple[int, dict[str, list[str]], bytes]:
    """One response read off ``sock`` (up to Content-Length, or to the end of the stream)."""
    data = _leftover.pop(sock, b"")
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a whole response head: {data[:200]!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, list[str]] = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    status = int(status_line.split()[1])
    if "content-length" in headers:
        length = int(headers["content-length"][0])
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        body, rest = body[:length], body[length:]
        if rest:
            _leftover[sock] = rest
    elif status in (204, 304):
        if body:
            _leftover[sock] = body
        body = b""
    else:
        while chunk := sock.recv(65536):
            body += chunk
    return status, headers, body


def request(port: int, raw: bytes) -> tuple[int, dict[str, list[str]], bytes]:
    with connect(port) as sock:
        sock.sendall(raw)
        return read_response(sock)


def drain(sock: socket.socket) -> bytes:
    """Everything the server still sends, until it closes the connection (EOF or reset); a
    server that keeps the connection open past the socket's timeout raises TimeoutError."""
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass
    return data


def envelope(status, headers, body, expected_status, code=None, slug=None):
    """Asserts that an answer is errcat's error envelope with ``expected_status``; returns it."""
    assert status == expected_status, body[:300]
    error = json.loads(body)["error"]
    assert error["status"] == expected_status
    if code is not None:
        assert (error["code"], error["slug"]) == (code, slug)
    assert error["message"] and error["suggested_fix"]
    assert error["request_id"] == headers["x-request-id"][0]
    assert headers["x-content-type-options"] == ["nosniff"]
    return error
