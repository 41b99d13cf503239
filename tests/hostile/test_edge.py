"""Hostile clients against a real server (uvicorn + EdgeProtocol on a socket, SQLite seeded).

What is tested is the HTTP server's own parser and timers, so these go over real sockets; short
timeouts (1 s) keep the suite quick.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import threading
import time

import pytest

from tests.hostile.server_process import (
    ServerProcess,
    connect,
    drain,
    envelope,
    get,
    read_response,
    request,
)

MAX_HEADER_BYTES = 16_384


@pytest.fixture(scope="module")
def server(db, tmp_path_factory):
    proc = ServerProcess(
        db.url,
        tmp_path_factory.mktemp("hostile-log") / "server.log",
        HEADER_TIMEOUT="1",
        BODY_TIMEOUT="1",
        MAX_BODY_BYTES="1024",
        MAX_CONNECTIONS="16",
    )
    yield proc
    proc.stop()


def big_header_request(size: int) -> bytes:
    return b"GET /codes/1205 HTTP/1.1\r\nHost: errcat\r\nX-Big: " + b"a" * size + b"\r\n\r\n"


def assert_answers_normally(port):
    status, headers, body = request(port, get("/codes/1205"))
    assert status == 200 and json.loads(body)["code"] == 1205
    return headers


# --- the request head ----------------------------------------------------------------------


def test_an_oversize_header_gets_431_in_the_envelope_and_the_server_goes_on(server):
    status, headers, body = request(server.port, big_header_request(70_000))
    error = envelope(status, headers, body, 431, 10431, "HTTP_RequestHeaderFieldsTooLarge")
    assert str(MAX_HEADER_BYTES) in error["suggested_fix"]
    assert headers["connection"] == ["close"]
    assert_answers_normally(server.port)


def test_a_head_just_under_the_limit_is_answered(server):
    status, _, body = request(server.port, big_header_request(MAX_HEADER_BYTES - 200))
    assert status == 200, body[:200]


def test_a_head_over_the_limit_in_many_small_headers_gets_431(server):
    headers = "".join(f"X-H{i}: {'v' * 200}\r\n" for i in range(95))  # 19 KiB, 95 headers
    raw = f"GET /health HTTP/1.1\r\nHost: errcat\r\n{headers}\r\n".encode()
    envelope(*request(server.port, raw), 431)


def invalid_http_lines(server):
    return [r for r in server.log_records() if "Invalid HTTP" in r.get("message", "")]


def test_too_many_headers_get_431(server):
    headers = "".join(f"X-H{i}: 1\r\n" for i in range(150))
    raw = f"GET /health HTTP/1.1\r\nHost: errcat\r\n{headers}\r\n".encode()
    before = len(invalid_http_lines(server))
    error = envelope(*request(server.port, raw), 431)
    assert "151 headers, over 100" in error["message"]  # Host is one of them
    # Refused once the head is parsed: a well-formed head, not logged as malformed HTTP.
    assert len(invalid_http_lines(server)) == before
    assert any("answered 431" in r.get("message", "") for r in server.log_records())


def test_a_body_arriving_with_its_head_is_not_counted_as_head(server):
    body = json.dumps({"error": {"message": "x" * 900, "code": 1205, "status": 422}}).encode()
    raw = (
        b"POST /validate-envelope HTTP/1.1\r\nHost: errcat\r\nConnection: close\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
    ) + body
    # Head and body in one write of a size over the head limit: the head alone is what counts.
    big = b"X-Pad: " + b"p" * 15_000 + b"\r\n"
    raw = raw.replace(b"Connection: close\r\n", b"Connection: close\r\n" + big)
    status, _, answer = request(server.port, raw)
    assert status == 200 and json.loads(answer)["valid"] in (True, False)


def test_memory_stays_bounded_under_oversize_heads(server):
    assert_answers_normally(server.port)
    before = server.rss_kib()
    for _ in range(16):
        with connect(server.port) as sock:
            try:
                sock.sendall(big_header_request(2 * 1024 * 1024))
                status, _, _ = read_response(sock)
                assert status == 431
            except (ConnectionResetError, BrokenPipeError):
                pass  # refused by closing: also acceptable
    grown_mib = (server.rss_kib() - before) / 1024
    assert grown_mib < 8, f"RSS grew {grown_mib:.1f} MiB over 32 MiB of refused headers"
    assert_answers_normally(server.port)


def test_malformed_http_gets_400_in_the_envelope(server):
    error = envelope(
        *request(server.port, b"NOT HTTP AT ALL\r\n\r\n"), 400, 10400, "HTTP_BadRequest"
    )
    assert "HTTP" in error["message"]


# --- slow clients --------------------------------------------------------------------------


def test_a_slowloris_head_is_answered_408_and_closed_while_others_are_served(server):
    sock = connect(server.port, timeout=10)
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: errcat\r\n")
    stop = threading.Event()

    def trickle():
        n = 0
        while not stop.wait(0.2):
            try:
                sock.sendall(b"X-%d: y\r\n" % n)
            except OSError:
                return
            n += 1

    threading.Thread(target=trickle, daemon=True).start()
    try:
        for _ in range(3):
            assert_answers_normally(server.port)
        status, headers, body = read_response(sock)  # blocks until the server gives up on it
        envelope(status, headers, body, 408, 10408, "HTTP_RequestTimeout")
        drain(sock)  # and then closes the connection
    finally:
        stop.set()
        sock.close()


def test_a_connection_that_sends_nothing_is_closed(server):
    with connect(server.port, timeout=10) as sock:
        assert drain(sock) == b""


def test_a_trickling_body_is_answered_408(server):
    with connect(server.port, timeout=10) as sock:
        sock.sendall(
            b"POST /validate-envelope HTTP/1.1\r\nHost: errcat\r\n"
            b'Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{"error":'
        )
        envelope(*read_response(sock), 408, 10408, "HTTP_RequestTimeout")


def test_a_hang_up_mid_body_counts_as_499_not_500(server):
    with connect(server.port) as sock:
        sock.sendall(
            b"POST /validate-envelope/batch HTTP/1.1\r\nHost: errcat\r\n"
            b'Content-Type: application/json\r\nContent-Length: 500\r\n\r\n[{"error":'
        )
        time.sleep(0.2)  # let the application start reading the body
    pattern = re.compile(
        r'errcat_requests_total\{method="POST",path="/validate-envelope/batch",'
        r'status_code="(\d+)"\} (\S+)'
    )
    counted: dict[str, float] = {}
    for _ in range(50):  # the server notices the hang-up asynchronously
        counted = {m[1]: float(m[2]) for m in pattern.finditer(request_text(server, "/metrics"))}
        if counted:
            break
        time.sleep(0.1)
    assert counted == {"499": 1.0}
    records = [
        r for r in server.log_records() if "connection closed before" in r.get("message", "")
    ]
    assert records and all(r["level"] == "info" for r in records)
    assert not [r for r in server.log_records() if r.get("level") == "error"]


def request_text(server, path):
    status, _, body = request(server.port, get(path))
    assert status == 200
    return body.decode()


def test_beyond_max_connections_the_answer_is_503_in_the_envelope(server):
    idle = [connect(server.port) for _ in range(16)]
    try:
        for _ in range(20):  # until the server has accepted the idle ones too
            status, headers, body = request(server.port, get("/health"))
            if status == 503:
                break
            time.sleep(0.05)
        envelope(status, headers, body, 503, 10503, "HTTP_ServiceUnavailable")
    finally:
        for sock in idle:
            sock.close()
    time.sleep(0.1)
    assert_answers_normally(server.port)


# --- rules the parser must not leak --------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/codes?status=%D9%A4%D9%A0%D9%A4",  # Arabic-Indic ٤٠٤
        "/codes/%D9%A1%D9%A2%D9%A0%D9%A5",  # ١٢٠٥
        "/codes/%1C1205%1F",  # control characters str.strip() would have dropped
        "/codes?status=%1C404",
        "/statuses/%1F404",
        "/ranges/resolve?code=%1C1810",
    ],
)
def test_non_ascii_digits_and_control_characters_get_400(server, path):
    envelope(*request(server.port, get(path)), 400, 10400, "HTTP_BadRequest")


# --- headers on every answer ---------------------------------------------------------------


def test_nosniff_on_every_answer_and_no_server_banner(server):
    etag = request(server.port, get("/codes/1205"))[1]["etag"][0]
    big = b'{"error": {"message": "' + b"x" * 2000 + b'", "code": 1, "status": 400}}'
    answers = {
        200: get("/codes/1205"),
        304: get("/codes/1205", f"If-None-Match: {etag}"),
        404: get("/no/such/path"),
        405: b"DELETE /codes/1205 HTTP/1.1\r\nHost: errcat\r\nConnection: close\r\n\r\n",
        400: get("/codes/abc"),
        413: b"POST /validate-envelope HTTP/1.1\r\nHost: errcat\r\nConnection: close\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(big) + big,
    }
    for expected, raw in answers.items():
        status, headers, _ = request(server.port, raw)
        assert status == expected
        assert headers["x-content-type-options"] == ["nosniff"], (expected, headers)
        assert "server" not in headers, headers
    for path in ("/metrics", "/schema/openapi.json", "/schema", "/health"):
        status, headers, _ = request(server.port, get(path))
        assert status == 200 and headers["x-content-type-options"] == ["nosniff"], path
        assert "server" not in headers


# --- shutdown ------------------------------------------------------------------------------


def test_sigterm_closes_idle_and_trickling_connections_promptly(db, tmp_path):
    # Timeouts far longer than the test: only the shutdown itself can close these connections.
    proc = ServerProcess(
        db.url,
        tmp_path / "server.log",
        HEADER_TIMEOUT="60",
        BODY_TIMEOUT="60",
        KEEPALIVE_TIMEOUT="60",
        GRACEFUL_SHUTDOWN_SECONDS="60",
    )
    socks: list[socket.socket] = []
    try:
        for i in range(30):  # heads still arriving
            sock = connect(proc.port, timeout=20)
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: errcat\r\nX-%d: 1\r\n" % i)
            socks.append(sock)
        for _ in range(3):  # bodies still arriving: the application is waiting for them
            sock = connect(proc.port, timeout=20)
            sock.sendall(
                b"POST /validate-envelope HTTP/1.1\r\nHost: errcat\r\n"
                b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
            )
            socks.append(sock)
        for _ in range(3):  # idle keep-alive connections after an answer
            sock = connect(proc.port, timeout=20)
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: errcat\r\n\r\n")
            assert read_response(sock)[0] == 200
            socks.append(sock)
        time.sleep(0.3)
        started = time.monotonic()
        proc.proc.send_signal(signal.SIGTERM)
        # uvicorn re-raises the signal once it has shut down gracefully.
        assert proc.proc.wait(20) in (0, -signal.SIGTERM)
        # Well under the 60 s grace period: nothing was waited for.
        assert time.monotonic() - started < 15
        for sock in socks:
            drain(sock)  # closed (EOF or reset), not left hanging
    finally:
        for sock in socks:
            sock.close()
        proc.stop()
    assert "Application shutdown complete" in proc.log()
    assert "timeout graceful shutdown exceeded" not in proc.log()


# --- ordinary clients are not caught by the limits -----------------------------------------


def test_pipelined_requests_are_all_answered_in_order(server):
    one = b"GET /codes/1205 HTTP/1.1\r\nHost: errcat\r\n\r\n"
    last = b"GET /codes/2401 HTTP/1.1\r\nHost: errcat\r\nConnection: close\r\n\r\n"
    with connect(server.port) as sock:
        sock.sendall(one * 3 + last)
        codes = [json.loads(read_response(sock)[2])["code"] for _ in range(4)]
    assert codes == [1205, 1205, 1205, 2401]


def test_a_keep_alive_connection_idle_longer_than_the_header_timeout_is_still_served(server):
    # HEADER_TIMEOUT (1 s) bounds sending a head, not the idle time between requests, which
    # KEEPALIVE_TIMEOUT (5 s by default) bounds.
    with connect(server.port) as sock:
        for _ in range(2):
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: errcat\r\n\r\n")
            assert read_response(sock)[0] == 200
            time.sleep(1.5)
