"""Request bodies that go wrong while the application waits for them, against a real server.

Each gets its answer (400 for malformed HTTP, 408 for a body that stops arriving) or, when the
client itself goes away, a clean close; and none keeps its connection slot: MAX_CONNECTIONS is
small here, so a held slot would turn every later client away with 503.
"""

from __future__ import annotations

import json
import socket
import struct
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

MAX_CONNECTIONS = 4

CHUNKED_HEAD = (
    b"POST /validate-envelope HTTP/1.1\r\nHost: errcat\r\n"
    b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
)
# Chunked bodies the HTTP parser rejects, each after a valid head.
MALFORMED_CHUNKED_BODIES = {
    "bad-chunk-size": b"zz\r\n{}\r\n0\r\n\r\n",
    "chunk-size-overflow": b"f" * 20 + b"\r\n{}\r\n0\r\n\r\n",
    "bad-chunk-extension": b"2;a=b c\r\n{}\r\n0\r\n\r\n",
    "chunk-longer-than-its-size": b"2\r\n{}XX\r\n0\r\n\r\n",
    "bad-trailer": b"2\r\n{}\r\n0\r\nno colon\r\n\r\n",
}
CUT_SHORT = {  # heads with bodies that stop before their end
    "missing-final-chunk": CHUNKED_HEAD + b"2\r\n{}\r\n",
    "short-content-length": (
        b"POST /validate-envelope HTTP/1.1\r\nHost: errcat\r\n"
        b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"error":'
    ),
}


@pytest.fixture(scope="module")
def server(db, tmp_path_factory):
    proc = ServerProcess(
        db.url,
        tmp_path_factory.mktemp("hostile-bodies-log") / "server.log",
        HEADER_TIMEOUT="1",
        BODY_TIMEOUT="1",
        MAX_BODY_BYTES="1024",
        MAX_CONNECTIONS=str(MAX_CONNECTIONS),
    )
    yield proc
    proc.stop()


def wait_until_the_application_reads(sock: socket.socket, head: bytes) -> None:
    sock.sendall(head)
    time.sleep(0.2)  # the application starts and waits for the body


def assert_refused_400_and_closed(sock: socket.socket) -> None:
    status, headers, body = read_response(sock)
    envelope(status, headers, body, 400, 10400, "HTTP_BadRequest")
    assert headers["connection"] == ["close"]
    assert drain(sock) == b""  # closed after the answer, nothing more


@pytest.mark.parametrize("name", MALFORMED_CHUNKED_BODIES)
def test_a_malformed_chunked_body_sent_with_its_head_gets_400_and_a_close(server, name):
    with connect(server.port) as sock:
        sock.sendall(CHUNKED_HEAD + MALFORMED_CHUNKED_BODIES[name])
        assert_refused_400_and_closed(sock)


@pytest.mark.parametrize("name", MALFORMED_CHUNKED_BODIES)
def test_a_malformed_chunked_body_the_application_waits_for_gets_400_and_a_close(server, name):
    with connect(server.port) as sock:
        wait_until_the_application_reads(sock, CHUNKED_HEAD)
        sock.sendall(MALFORMED_CHUNKED_BODIES[name])
        assert_refused_400_and_closed(sock)


def test_a_malformed_body_behind_a_pipelined_request_gets_400_after_its_answer(server):
    with connect(server.port) as sock:
        sock.sendall(
            b"GET /codes/1205 HTTP/1.1\r\nHost: errcat\r\n\r\n"
            + CHUNKED_HEAD
            + MALFORMED_CHUNKED_BODIES["bad-chunk-size"]
        )
        status, _, body = read_response(sock)
        assert status == 200 and json.loads(body)["code"] == 1205
        assert_refused_400_and_closed(sock)


def test_a_malformed_chunk_after_the_answer_ends_the_connection_without_another(server):
    with connect(server.port) as sock:
        sock.sendall(CHUNKED_HEAD + b"800\r\n" + b"x" * 0x800 + b"\r\n")  # over MAX_BODY_BYTES
        envelope(*read_response(sock), 413)
        sock.sendall(b"zz\r\n")  # the rest of that body, malformed
        assert drain(sock) == b""  # no answer to a request that was answered already


@pytest.mark.parametrize("name", CUT_SHORT)
def test_a_body_that_stops_arriving_gets_408_and_a_close(server, name):
    with connect(server.port) as sock:
        sock.sendall(CUT_SHORT[name])
        envelope(*read_response(sock), 408, 10408, "HTTP_RequestTimeout")
        assert drain(sock) == b""


@pytest.mark.parametrize("name", CUT_SHORT)
def test_a_body_cut_short_by_a_half_close_is_closed_cleanly(server, name):
    with connect(server.port) as sock:
        wait_until_the_application_reads(sock, CUT_SHORT[name])
        sock.shutdown(socket.SHUT_WR)
        assert drain(sock) == b""  # nobody left to answer: closed, without an answer


@pytest.mark.parametrize(
    "raw",
    [
        b"POST /validate-envelope HTTP/1.1\r\nHost: errcat\r\n"
        b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
        CHUNKED_HEAD + b"2\r\n{}\r\n0\r\n\r\n",
    ],
    ids=["content-length", "chunked"],
)
def test_bytes_beyond_the_declared_body_end_the_connection_after_its_answer(server, raw):
    with connect(server.port) as sock:
        sock.sendall(raw + b"not a request\r\n\r\n")
        status, _, body = read_response(sock)
        assert status == 200 and "valid" in json.loads(body)
        assert drain(sock) == b""


def send_and_hold(port: int, raw: bytes, *, reset: bool = False) -> socket.socket:
    """A client that sends ``raw`` and then neither reads nor closes (or, with ``reset``, aborts
    the connection with a TCP reset)."""
    sock = connect(port)
    sock.sendall(raw)
    if reset:
        time.sleep(0.2)  # the application starts and waits for the body
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    return sock


def test_bad_bodies_held_open_leave_no_connection_slot_taken(server):
    held: list[socket.socket] = []
    try:
        for _ in range(2):  # each kind more often than MAX_CONNECTIONS in all
            for body in MALFORMED_CHUNKED_BODIES.values():
                held.append(send_and_hold(server.port, CHUNKED_HEAD + body))
            for raw in CUT_SHORT.values():
                held.append(send_and_hold(server.port, raw))
                held.append(send_and_hold(server.port, raw, reset=True))
            held.append(
                send_and_hold(
                    server.port,
                    get("/codes/1205").replace(b"Connection: close\r\n", b"")
                    + CHUNKED_HEAD
                    + MALFORMED_CHUNKED_BODIES["bad-chunk-size"],
                )
            )
        # The server answers and closes each of them on its own (the clients never close);
        # until it has, a new client may be turned away with 503.
        for _ in range(200):
            status, _, body = request(server.port, get("/codes/1205"))
            if status == 200:
                break
            assert status == 503, body[:300]
            time.sleep(0.1)
        assert status == 200 and json.loads(body)["code"] == 1205
    finally:
        for sock in held:
            sock.close()
    assert not [r for r in server.log_records() if r.get("level") == "error"]
