"""Patterns run over text a client sent, on RE2: time linear in the text whatever it holds.

Python's ``re`` backtracks: two ``[ \\t]*`` around an optional character made one 64 KiB body
take over a minute. RE2 (``google-re2``) never backtracks, and it rejects at compile time what
it cannot run in linear time (look-arounds, back-references). Its ``\\d \\s \\w \\b`` are
ASCII-only.

A ``LinearPattern`` matches UTF-8 bytes only: given a ``str``, RE2's binding encodes the whole
text on every call, which turns a loop of ``match(text, pos)`` quadratic again. Encode the text
once with ``utf8`` and read matched bytes back with ``text_of``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, cast

import re2


class LinearMatch(Protocol):
    """The part of RE2's match object the decoder uses (offsets are byte offsets)."""

    def __getitem__(self, group: int) -> bytes: ...  # every group read here always takes part
    def start(self, group: int = 0) -> int: ...
    def end(self, group: int = 0) -> int: ...


class LinearPattern:
    """One pattern compiled by RE2; a syntax RE2 lacks raises ``re2.error`` at import."""

    __slots__ = ("_regexp", "source")

    def __init__(self, source: str, *, ignore_case: bool = False) -> None:
        options = re2.Options()
        options.case_sensitive = not ignore_case
        options.log_errors = False  # a bad pattern raises; no line on stderr besides
        self.source = source
        self._regexp = re2.compile(source, options)

    def search(self, text: bytes, pos: int = 0) -> LinearMatch | None:
        return cast("LinearMatch | None", self._regexp.search(text, pos))

    def match(self, text: bytes, pos: int = 0) -> LinearMatch | None:
        return cast("LinearMatch | None", self._regexp.match(text, pos))

    def fullmatch(self, text: bytes) -> LinearMatch | None:
        return cast("LinearMatch | None", self._regexp.fullmatch(text))

    def finditer(self, text: bytes, pos: int = 0) -> Iterator[LinearMatch]:
        return cast("Iterator[LinearMatch]", self._regexp.finditer(text, pos))

    def sub(self, replacement: bytes, text: bytes) -> bytes:
        return cast("bytes", self._regexp.sub(replacement, text))


def utf8(text: str) -> bytes:
    """The bytes patterns match. Lone surrogates (a printed Python dict may hold one) pass
    through as their three bytes, so that every text encodes and decodes back unchanged."""
    return text.encode("utf-8", "surrogatepass")


def text_of(raw: bytes) -> str:
    """Matched bytes back to text (matches start and end on whole characters)."""
    return raw.decode("utf-8", "surrogatepass")
