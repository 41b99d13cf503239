"""The fields the decoder extracts, and how a raw value becomes one: whole numbers of at most 18
ASCII digits, statuses 100-599, strings cut to MAX_FIELD_CHARS, slugs of at most MAX_SLUG_CHARS."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec

from app.catalogue.linear import LinearPattern, utf8

MAX_FIELD_CHARS = 1000  # extracted strings are cut to this length
MAX_SLUG_CANDIDATES = 20  # slug-shaped words collected from free text
MAX_SLUG_CHARS = 200  # a longer "slug" is not one


class DecodedFields(msgspec.Struct, frozen=True, omit_defaults=False):
    """What was read from the body; every field may be missing."""

    code: int | None = None
    slug: str | None = None
    status: int | None = None
    message: str | None = None
    request_id: str | None = None
    suggested_fix: str | None = None


@dataclass
class Extraction:
    shape: str
    envelope_shape: str | None = None
    fields: DecodedFields = field(default_factory=DecodedFields)
    from_text: bool = False  # code/slug found by scanning free text, not read from keyed fields
    slug_candidates: tuple[str, ...] = ()  # free text only: slug-shaped words, in order
    notes: list[str] = field(default_factory=list)


_DIGITS = LinearPattern(r"[ \t]*([0-9]{1,18})[ \t]*")
_SLUG = LinearPattern(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+")


def cut(value: str) -> str:
    """At most MAX_FIELD_CHARS characters, each lone surrogate (a printed Python dict may spell
    one, ``'\\ud800'``) replaced by U+FFFD: the report must encode as UTF-8."""
    if not value.isascii():
        value = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return value if len(value) <= MAX_FIELD_CHARS else value[:MAX_FIELD_CHARS] + "…"


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if abs(value) < 10**18 else None
    if isinstance(value, str):
        found = _DIGITS.fullmatch(utf8(value))
        return int(found[1]) if found else None
    return None


def as_status(value: Any) -> int | None:
    number = as_int(value)
    return number if number is not None and 100 <= number <= 599 else None


def as_str(value: Any) -> str | None:
    return cut(value) if isinstance(value, str) and value.strip() else None


def as_slug(value: Any) -> str | None:
    if not isinstance(value, str) or len(value) > MAX_SLUG_CHARS:
        return None
    return value.strip() if _SLUG.fullmatch(utf8(value.strip())) else None
