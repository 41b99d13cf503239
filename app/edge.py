"""How errcat answers at the edge, outside Litestar.

- ``NOSNIFF`` goes on every answer and ``CLIENT_GONE`` marks a client that hung up before its
  request was read (both set by ``app.api.front``).
- ``client_gone_handler``: Litestar turns that hang-up into an InternalServerException; it is the
  client's doing, not a server error, so it is logged at INFO and recorded as status 499 (the
  answer is never delivered: metrics and the access log see 499, not 500).
- ``envelope_bytes``: the complete envelope for answers the HTTP server gives itself (431, 408,
  400 for malformed HTTP, 503 when overloaded; see ``app.server``), with ``code``/``slug`` from
  the served catalogue's HTTP section by the same rule as every other error; ``edge_answer`` is
  such an answer whole, status line and headers included, and ``overloaded`` the application
  that answers 503.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import InternalServerException
from litestar.types import Receive, Scope, Send

from app.api.errors import request_id
from app.catalogue.model import Snapshot
from app.error_envelope import error_envelope
from app.requestid import new_request_id

log = logging.getLogger("errcat")

NOSNIFF = (b"x-content-type-options", b"nosniff")
CLIENT_GONE = "errcat.client_gone"
CLIENT_CLOSED_REQUEST = 499  # nginx's status for a client that hung up before the answer

# The catalogue served by this process, for answers given before routing (set by create_app).
_snapshot_source: list[Callable[[], Snapshot | None]] = []


def serve_catalogue(current_snapshot: Callable[[], Snapshot | None]) -> None:
    _snapshot_source[:] = [current_snapshot]


def envelope_bytes(
    status: int, message: str, suggested_fix: str, rid: str | None = None, prefer: str | None = None
) -> tuple[bytes, str]:
    """The encoded envelope and its request id (a new one unless given)."""
    snap = _snapshot_source[0]() if _snapshot_source else None
    rid = rid or new_request_id()
    envelope = error_envelope(snap, status, message, rid, suggested_fix, prefer=prefer)
    return msgspec.json.encode(envelope), rid


def client_gone_handler(
    fallback: Callable[[Request[Any, Any, Any], Exception], Response[Any]],
) -> Callable[[Request[Any, Any, Any], Exception], Response[Any]]:
    """For InternalServerException: 499 when the client hung up mid-request, else ``fallback``."""

    def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        scope = request.scope
        if not (
            isinstance(exc, InternalServerException) and scope.get("state", {}).get(CLIENT_GONE)
        ):
            return fallback(request, exc)
        rid = request_id(scope)
        log.info(
            "request not read: the connection closed before its body arrived",
            extra={"request_id": rid, "method": scope["method"], "path": scope["path"]},
        )
        # Never delivered (the connection is gone); it exists for metrics and the access log.
        return Response(b"", status_code=CLIENT_CLOSED_REQUEST, headers={"X-Request-ID": rid})

    return handle


def edge_answer(
    status: int,
    message: str,
    suggested_fix: str,
    default_headers: list[tuple[bytes, bytes]],
    prefer: str | None = None,
) -> bytes:
    """A whole HTTP answer in the envelope that closes the connection: the server's own."""
    body, rid = envelope_bytes(status, message, suggested_fix, prefer=prefer)
    lines = [b"HTTP/1.1 %d %s\r\n" % (status, HTTPStatus(status).phrase.encode())]
    for name, value in default_headers:
        lines += [name, b": ", value, b"\r\n"]
    lines += [
        b"content-type: application/json\r\n",
        b"content-length: %d\r\n" % len(body),
        b"x-request-id: " + rid.encode() + b"\r\n",
        b"cache-control: no-store\r\n",
        NOSNIFF[0] + b": " + NOSNIFF[1] + b"\r\n",
        b"connection: close\r\n\r\n",
        body,
    ]
    return b"".join(lines)


async def overloaded(scope: Scope, receive: Receive, send: Send) -> None:
    """The application in place of errcat's beyond MAX_CONNECTIONS: 503 in the envelope."""
    body, rid = envelope_bytes(
        503,
        "The server is at its connection limit",
        "Retry shortly; the server is handling as many connections as it allows.",
        prefer="ServiceUnavailable",
    )
    headers: list[tuple[bytes, bytes]] = [
        (b"content-type", b"application/json"),
        (b"content-length", b"%d" % len(body)),
        (b"x-request-id", rid.encode()),
        (b"cache-control", b"no-store"),
        (b"retry-after", b"1"),
        NOSNIFF,
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
