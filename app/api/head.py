"""HEAD for every GET route (RFC 9110: wherever GET works), and ``Allow`` saying so.

Litestar routes HEAD only to handlers declared for it and answers 405 before any middleware
runs, so the layer before routing (``app.api.front``) serves HEAD as GET without the body; for
the same reason Litestar's 405 answers list only the declared methods in ``Allow``: these
functions add HEAD wherever GET is named.
"""

from __future__ import annotations

from collections.abc import Iterable

from litestar.routes import BaseRoute, HTTPRoute


def allow_with_head(value: bytes) -> bytes:
    """``OPTIONS, GET`` -> ``OPTIONS, GET, HEAD``: HEAD right after GET, when GET is allowed."""
    methods = [m.strip() for m in value.split(b",") if m.strip()]
    upper = [m.upper() for m in methods]
    if b"GET" not in upper or b"HEAD" in upper:
        return value
    methods.insert(upper.index(b"GET") + 1, b"HEAD")
    return b", ".join(methods)


def allow_head_in_405(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """A 405's headers with HEAD beside GET in ``Allow`` (a HEAD answered 405 is a GET answered
    405: its Allow has no GET, hence no HEAD)."""
    return [(k, allow_with_head(v) if k.lower() == b"allow" else v) for k, v in headers]


def with_allow(headers: list[tuple[bytes, bytes]], allow: bytes) -> list[tuple[bytes, bytes]]:
    """An OPTIONS answer's headers with ``Allow`` the route's own (``allow_by_route``)."""
    return [*((k, v) for k, v in headers if k.lower() != b"allow"), (b"allow", allow)]


def allow_by_route(routes: Iterable[BaseRoute]) -> dict[str, bytes]:
    """Each HTTP route's ``Allow`` value (by path template), HEAD included wherever GET is.

    Litestar 2's OPTIONS answer keeps the methods of the first handler registered on a path
    (GET /observations next to POST /observations answered ``Allow: OPTIONS, POST``), so
    OPTIONS answers get their ``Allow`` from the routes themselves.
    """
    return {
        route.path_format: allow_with_head(", ".join(sorted(route.methods)).encode())
        for route in routes
        if isinstance(route, HTTPRoute)
    }
