"""What to tell someone who asks for a code the catalogue does not document (API and CLI alike)."""

from __future__ import annotations

import msgspec

from app.catalogue.model import Snapshot
from app.catalogue.query import describe_ranges, lookup, nearest_ranges, ranges_containing


class Undocumented(msgspec.Struct, frozen=True):
    message: str
    suggested_fix: str


def undocumented(snap: Snapshot, number: int, namespace: str | None = None) -> Undocumented:
    """The message and fix for ``number`` (in ``namespace``, if given) having no entry.

    The fix points where the number does lead: another namespace that documents it, the declared
    range it lies in, or the nearest declared ranges.
    """
    where = f" in namespace {namespace}" if namespace else ""
    elsewhere = sorted({e.namespace for e in lookup(snap, number)})
    ranges = ranges_containing(snap, number)
    if elsewhere:
        fix = (
            f"{number} is documented in namespace {', '.join(elsewhere)}; "
            "leave out ?namespace= to see every entry."
        )
    elif ranges:
        fix = (
            f"{number} is undocumented but lies in the declared range "
            f"{describe_ranges(ranges)}; GET /ranges/resolve?code={number} tells more."
        )
    else:
        fix = (
            f"{number} lies in no declared range; the nearest are "
            f"{describe_ranges(nearest_ranges(snap, number))}."
        )
    return Undocumented(message=f"Code {number} is not documented{where}", suggested_fix=fix)
