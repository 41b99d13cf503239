"""CoalescingTransport: writes of one turn of the loop leave in one write, in order, and closing,
half-closing and aborting see them as a plain transport would."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import Any

from app.coalescing import FLUSH_AT, CoalescingTransport


class RecordingTransport:
    """What reaches the real transport, in order."""

    def __init__(self) -> None:
        self.events: list[tuple[str, bytes]] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.events.append(("write", data))

    def close(self) -> None:
        self.closing = True
        self.events.append(("close", b""))

    def write_eof(self) -> None:
        self.events.append(("eof", b""))

    def abort(self) -> None:
        self.closing = True
        self.events.append(("abort", b""))

    def is_closing(self) -> bool:
        return self.closing

    def get_write_buffer_size(self) -> int:
        return 7

    def get_extra_info(self, name: str) -> str:
        return f"info:{name}"


def in_a_loop(test: Callable[[], Coroutine[Any, Any, None]]) -> Callable[[], None]:
    @functools.wraps(test)
    def run() -> None:
        asyncio.run(test())

    return run


async def _turn() -> None:
    await asyncio.sleep(0)


def _wrapped() -> tuple[CoalescingTransport, RecordingTransport]:
    real = RecordingTransport()
    return CoalescingTransport(real, asyncio.get_running_loop()), real  # type: ignore[arg-type]


@in_a_loop
async def test_writes_of_one_turn_leave_in_one_write_at_its_end() -> None:
    transport, real = _wrapped()
    transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    transport.write(b"{}")
    assert real.events == []  # held until the turn ends
    await _turn()
    assert real.events == [("write", b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}")]


@in_a_loop
async def test_later_turns_write_again_and_empty_writes_are_nothing() -> None:
    transport, real = _wrapped()
    transport.write(b"")
    await _turn()
    assert real.events == []
    transport.write(b"one")
    await _turn()
    transport.write(b"two")
    await _turn()
    assert real.events == [("write", b"one"), ("write", b"two")]


@in_a_loop
async def test_a_mutable_buffer_is_copied_when_written() -> None:
    transport, real = _wrapped()
    buffer = bytearray(b"abc")
    transport.write(buffer)
    transport.write(memoryview(b"def"))
    buffer[:] = b"xyz"
    await _turn()
    assert real.events == [("write", b"abcdef")]


@in_a_loop
async def test_close_and_write_eof_send_what_is_held_first() -> None:
    transport, real = _wrapped()
    transport.write(b"answer")
    transport.write_eof()
    transport.write(b"late")
    transport.close()
    await _turn()
    assert real.events == [("write", b"answer"), ("eof", b""), ("write", b"late"), ("close", b"")]


@in_a_loop
async def test_abort_drops_what_is_held_as_a_transport_drops_its_buffer() -> None:
    transport, real = _wrapped()
    transport.write(b"never sent")
    transport.abort()
    await _turn()
    assert real.events == [("abort", b"")]


@in_a_loop
async def test_nothing_is_written_to_a_transport_that_closed_meanwhile() -> None:
    transport, real = _wrapped()
    transport.write(b"too late")
    real.closing = True  # the peer went away within the turn
    await _turn()
    assert real.events == []


@in_a_loop
async def test_buffer_size_counts_what_is_held_and_the_rest_is_the_real_transports() -> None:
    transport, _real = _wrapped()
    transport.writelines([b"12", b"345"])
    assert transport.get_write_buffer_size() == 7 + 5
    assert transport.get_extra_info("peername") == "info:peername"
    assert not transport.is_closing()
    await _turn()


@in_a_loop
async def test_a_large_answer_is_written_once_enough_is_held_without_waiting_for_the_turn() -> None:
    transport, real = _wrapped()
    transport.write(b"head")
    transport.write(b"x" * FLUSH_AT)
    assert real.events == [("write", b"head" + b"x" * FLUSH_AT)]  # at once: flow control sees it
    transport.write(b"tail")
    assert transport.get_write_buffer_size() == 7 + 4
    await _turn()
    assert real.events[-1] == ("write", b"tail")


class _Socket(RecordingTransport, asyncio.Transport):
    """What uvicorn's protocol asks of a transport, recording what reaches it."""

    def get_extra_info(self, name: str, default: object = None) -> object:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 5555)}.get(name, default)

    def get_write_buffer_size(self) -> int:
        return 0  # a client that reads everything

    def can_write_eof(self) -> bool:
        return True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


@in_a_loop
async def test_an_answer_finished_in_the_turn_of_a_shutdown_is_sent_before_the_close() -> None:
    from uvicorn.server import ServerState

    from app.server import EdgeConfig, EdgeLimits, EdgeProtocol
    from app.settings import Settings

    protocols: list[EdgeProtocol] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]}
        )
        await send({"type": "http.response.body", "body": b"ok"})
        protocols[0].shutdown()  # SIGTERM's shutdown of every connection, in the same turn

    limits = EdgeLimits.from_settings(Settings())
    config = EdgeConfig(app, edge_limits=limits, lifespan="off", loop="asyncio")
    config.load()
    protocol = EdgeProtocol(config, ServerState(), {}, asyncio.get_running_loop())
    socket = _Socket()
    protocol.connection_made(socket)
    protocols.append(protocol)
    protocol.data_received(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    for _ in range(10):
        await _turn()
    kinds = [kind for kind, _ in socket.events]
    assert kinds == ["write", "close"]  # the answer, then a clean close: never an abort
    assert socket.events[0][1].startswith(b"HTTP/1.1 200 OK") and socket.events[0][1].endswith(
        b"ok"
    )
