"""Writes made in one turn of the event loop go out in one system call (``CoalescingTransport``).

uvicorn writes an answer's status line and headers on ``http.response.start`` and its body on
``http.response.body``: two ``send`` system calls and, with TCP_NODELAY (uvloop sets it), two
TCP segments for an answer that fits in one, a large share of a cached answer's time
(docs/performance.md). This wrapper holds the bytes written during one turn of the loop and
hands them to the real transport together at the end of that turn, so a whole answer (or
several pipelined ones) leaves in one write.

Nothing waits longer than the current turn of the loop, nor once 64 KiB are held (a streamed
answer meets the real transport's flow control as before); closing, half-closing and aborting
see every byte written before them in order (close and write_eof write what is held first; abort
drops it, as aborting a transport drops its buffer). Everything else is the real transport's.
"""

from __future__ import annotations

import asyncio
from typing import Any

FLUSH_AT = 65_536  # bytes held before they are written at once, whatever the turn


class CoalescingTransport:
    __slots__ = ("_held", "_loop", "_pending", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []
        self._held = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._pending:
            self._loop.call_soon(self.flush)
        # A copy unless immutable: the caller may reuse its buffer once write returns.
        chunk = data if isinstance(data, bytes) else bytes(data)
        self._pending.append(chunk)
        self._held += len(chunk)
        if self._held >= FLUSH_AT:
            self.flush()  # the turn's own flush then finds nothing

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def flush(self) -> None:
        """Hand what is held to the real transport (called at the end of the loop's turn)."""
        if not self._pending:
            return
        pending, self._pending, self._held = self._pending, [], 0
        if self._transport.is_closing():
            return  # as writing to a closing transport does: nothing is sent
        self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + self._held

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def abort(self) -> None:
        self._pending.clear()
        self._held = 0
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        # is_closing, get_extra_info, pause_reading, can_write_eof ...: the real transport's.
        return getattr(self._transport, name)
