"""A loopback TCP proxy that a test can cut, pause and restore, to play a database going away.

``cut`` plays a stopped server (connections refused and broken); ``pause`` a blackholed one
(connections accepted, nothing forwarded either way, until ``resume``); ``break_after`` a
connection lost just after the client sent a given message (the server still acts on it).
"""

from __future__ import annotations

import contextlib
import socket
import threading


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._listener.listen(64)
        self._up = True
        self._flowing = threading.Event()
        self._flowing.set()
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._break_marker: bytes | None = None
        self._broken: set[socket.socket] = set()  # clients cut off by break_after
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self._up:
                client.close()
                continue
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        self._flowing.wait()  # paused: the client's connection hangs, as with a blackhole
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        with self._lock:
            self._conns += [client, upstream]
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pipe, args=(a, b, client), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, client: socket.socket) -> None:
        ends = (src, dst)
        try:
            while data := src.recv(65536):
                self._flowing.wait()  # paused: hold the bytes until resumed
                if client in self._broken:
                    return  # the server's answer to a client cut off by break_after: dropped
                marker = self._break_marker
                if src is client and marker is not None and marker in data:
                    with self._lock:
                        self._break_marker = None
                        self._broken.add(client)
                    dst.sendall(data)  # the server gets the message; the client never hears
                    # back. The server's side closes once its answer has come (the other pipe).
                    ends = (client,)
                    return
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in ends:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Refuse new connections and break the open ones, as a stopped server would."""
        self._up = False
        with self._lock:
            conns, self._conns = self._conns, []
        for s in conns:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def break_after(self, marker: bytes) -> None:
        """The next time a client sends ``marker``: forward it, then break that client's
        connection before any answer reaches it (one time)."""
        self._break_marker = marker

    def restore(self) -> None:
        self._up = True

    def pause(self) -> None:
        """Stall: keep every connection open but forward nothing, new connections included."""
        self._flowing.clear()

    def resume(self) -> None:
        self._flowing.set()

    def close(self) -> None:
        self._flowing.set()
        self.cut()
        self._listener.close()
