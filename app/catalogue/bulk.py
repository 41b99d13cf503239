"""Bulk lookup (``POST /codes/lookup``): many numbers at once, each answered in request order.

The body is a JSON object ``{"codes": [1205, 1810, 99999], "namespace": null}``: an object
rather than a bare array so that options (``namespace``) have a place. ``codes`` holds at most
``MAX_BULK`` JSON integers of at most 18 digits and no sign (the rule ``GET /codes/{code}``
applies to the path); strings such as ``"1205"``, negative numbers, numbers such as ``1205.5``
and booleans are refused with the index of the first one. Unknown members are refused too (a
misspelt ``code`` would otherwise look like an empty lookup).

Each number answers what ``GET /codes/{code}`` and ``GET /ranges/resolve`` tell about it: its
entries (all of them where the page lists it twice), ``documented``, the declared ranges that
contain it and, for a number in no range, the nearest ranges. Pure: no HTTP, no SQL.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from app.catalogue.envelope import BodyError
from app.catalogue.jsondoc import describe, is_integer
from app.catalogue.model import MAX_CODE as MAX_CODE
from app.catalogue.model import Entry, Namespace, RangeRef, Snapshot
from app.catalogue.query import lookup, nearest_ranges, ranges_containing

MAX_BULK = 1000
EXAMPLE_BODY = {"codes": [1205, 10503, 1810, 99999]}
_FIX = 'Send a JSON object such as {"codes": [1205, 1810]}: at most 1000 integers.'

Code = Annotated[int, msgspec.Meta(ge=0, le=MAX_CODE)]


class BulkLookupRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The body of ``POST /codes/lookup``."""

    codes: list[Code]
    namespace: Namespace | None = None


class CodeResult(msgspec.Struct, frozen=True):
    """One requested number: its entries, and where it lies when it has none."""

    code: int
    documented: bool
    entries: tuple[Entry, ...]
    ranges: tuple[RangeRef, ...]  # the declared ranges containing the number
    nearest_ranges: tuple[RangeRef, ...]  # only for a number in no range and documented nowhere


class BulkLookupResult(msgspec.Struct, frozen=True):
    items: tuple[CodeResult, ...]
    total: int
    documented: int
    undocumented: int


def parse_bulk_request(raw: bytes) -> BulkLookupRequest:
    """The request from the raw body, or a BodyError naming what is wrong and where."""
    try:
        value = msgspec.json.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as exc:
        reason = str(exc) if isinstance(exc, msgspec.DecodeError) else "unreadable JSON"
        raise BodyError(
            f"The body is not valid JSON: {reason}",
            errors=[f"body: {reason}"],
            suggested_fix=_FIX,
        ) from None
    if not isinstance(value, dict):
        raise BodyError(
            f'The body must be an object with a "codes" array, not {describe(value)}',
            errors=[f"body: expected an object, got {describe(value)}"],
            suggested_fix=_FIX,
        )
    if not isinstance(value.get("codes"), list):
        got = describe(value["codes"]) if "codes" in value else "missing"
        raise BodyError(
            f'"codes" must be an array of integers, not {got}',
            errors=[f"codes: expected an array of integers, got {got}"],
            suggested_fix=_FIX,
        )
    codes = value["codes"]
    if len(codes) > MAX_BULK:
        raise BodyError(
            f"At most {MAX_BULK} codes per lookup; the body has {len(codes)}",
            errors=[f"codes: {len(codes)} items, at most {MAX_BULK}"],
            suggested_fix=f"Split the codes into lookups of at most {MAX_BULK} each.",
        )
    for index, code in enumerate(codes):
        # JSON Schema counts 1205.0 as an integer (the OpenAPI says "integer"), so errcat does too.
        if isinstance(code, float) and code.is_integer() and 0 <= code <= MAX_CODE:
            codes[index] = code = int(code)
        if not is_integer(code) or not 0 <= code <= MAX_CODE:
            raise BodyError(
                f"codes[{index}] must be an integer of at most 18 digits and no sign, "
                f"not {describe(code)}",
                errors=[f"codes[{index}]: expected an integer, got {describe(code)}"],
                suggested_fix="Send every code as a JSON number without quotes, e.g. 1205.",
            )
    try:
        return msgspec.convert(value, BulkLookupRequest, strict=True)
    except msgspec.ValidationError as exc:  # namespace, or an unknown member
        reason, _, where = str(exc).partition(" - at `")
        where = where.rstrip("`").removeprefix("$").removeprefix(".")
        raise BodyError(
            f"Invalid lookup body{f' at {where}' if where else ''}: {reason}",
            errors=[f"{where or 'body'}: {reason}"],
            suggested_fix='The body takes "codes" and, optionally, "namespace" '
            '("platform" or "thermos").',
        ) from None


def lookup_one(snap: Snapshot, code: int, namespace: str | None = None) -> CodeResult:
    entries = lookup(snap, code, namespace)
    ranges = ranges_containing(snap, code)
    nearest = nearest_ranges(snap, code) if not entries and not ranges else ()
    return CodeResult(
        code=code,
        documented=bool(entries),
        entries=entries,
        ranges=ranges,
        nearest_ranges=nearest,
    )


def bulk_lookup(
    snap: Snapshot, codes: list[int] | tuple[int, ...], namespace: str | None = None
) -> BulkLookupResult:
    """One result per requested number, in request order (a number asked twice answers twice)."""
    cache: dict[int, CodeResult] = {}
    items = []
    for code in codes:
        result = cache.get(code)
        if result is None:
            result = cache[code] = lookup_one(snap, code, namespace)
        items.append(result)
    documented = sum(1 for r in items if r.documented)
    return BulkLookupResult(
        items=tuple(items),
        total=len(items),
        documented=documented,
        undocumented=len(items) - documented,
    )
