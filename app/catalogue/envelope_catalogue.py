"""The catalogue's rules over an envelope's ``code``, ``status`` and ``slug``: is the code
documented (or where does it lie), and which of its entries does the envelope designate? Part of
``envelope.validate_envelope``'s one pass: they add to its findings. Pure."""

from __future__ import annotations

from collections.abc import Sequence

from app.catalogue.envelope_report import Findings
from app.catalogue.jsondoc import number, pointer, quote
from app.catalogue.model import Entry, Snapshot
from app.catalogue.query import (
    describe_nearest,
    describe_ranges,
    find_by_slug,
    lookup,
    ranges_containing,
)


def _entry_label(entry: Entry) -> str:
    return f"{entry.slug} ({entry.status})"


def check_code(snap: Snapshot, out: Findings, code: int) -> tuple[Entry, ...]:
    """The platform entries of the code; when there are none, say where the code lies."""
    entries = lookup(snap, code, "platform")
    if entries:
        return entries
    path = pointer("error", "code")
    ranges = ranges_containing(snap, code)
    if ranges:
        out.warn(
            path,
            "catalogue.code_undocumented",
            f"code {code} is not documented but lies in the declared range "
            f"{describe_ranges(ranges)}; its status and slug cannot be checked",
        )
        return ()
    message = f"code {number(code)} is not documented and lies in no declared range"
    if lookup(snap, code, "thermos"):
        message += (
            f"; {code} is a Thermos database code, another system that reports string error "
            "types: a platform envelope cannot carry it"
        )
    else:
        near = describe_nearest(snap, code)
        if near:
            message += f"; the nearest are {near}"
    out.error(path, "catalogue.code_unknown", message)
    return ()


def match_entry(
    snap: Snapshot,
    out: Findings,
    entries: tuple[Entry, ...],
    code: int,
    status: int | None,
    slug: str | None,
) -> Entry | None:
    """Which of the code's entries the envelope designates, reporting what disagrees.

    Status and slug (each when given) narrow the candidates; an entry fitting both is the match.
    When they point at different entries, the slug is taken as the intent (it names one entry,
    a status may fit several) and the status is reported. Slugs identify an entry ignoring case
    but must match it exactly: a case-only difference is reported too.
    """
    by_status = [e for e in entries if status is None or e.status == status]
    by_slug = [e for e in entries if slug is None or e.slug.lower() == slug.lower()]
    fitting = [e for e in by_status if e in by_slug]
    if fitting:
        candidates = fitting
    elif slug is not None and by_slug:
        candidates = by_slug
        _status_mismatch(out, code, status, by_slug)
    elif status is not None and by_status:
        candidates = by_status
        _slug_mismatch(snap, out, code, slug, by_status)
    else:
        candidates = []
        _status_mismatch(out, code, status, entries)
        _slug_mismatch(snap, out, code, slug, entries)

    if len(candidates) != 1:
        if len(candidates) > 1 and slug is None:
            out.warn(
                pointer("error", "code"),
                "catalogue.ambiguous",
                f"code {code} is listed {len(candidates)} times and the envelope fits "
                f"{', '.join(map(_entry_label, candidates))}; send `slug` to say which",
            )
        return None
    matched = candidates[0]
    if slug is not None and slug != matched.slug and slug.lower() == matched.slug.lower():
        out.error(
            pointer("error", "slug"),
            "catalogue.slug_mismatch",
            f"slug {quote(slug)} differs only in case from the expected {quote(matched.slug)} "
            "(slugs compare case-sensitively)",
        )
    return matched


def _status_mismatch(
    out: Findings, code: int, status: int | None, expected: Sequence[Entry]
) -> None:
    if status is None:
        return
    whose = (
        f"{expected[0].slug} (code {code})"
        if len(expected) == 1
        else f"code {code} ({', '.join(map(_entry_label, expected))})"
    )
    documented = " or ".join(str(e.status) for e in expected)
    out.error(
        pointer("error", "status"),
        "catalogue.status_mismatch",
        f"status {status} does not match the catalogue: {whose} is documented with "
        f"status {documented}",
    )


def _slug_mismatch(
    snap: Snapshot, out: Findings, code: int, slug: str | None, expected: Sequence[Entry]
) -> None:
    if slug is None:
        return
    names = " or ".join(quote(e.slug) for e in expected)
    message = f"slug {quote(slug)} is not the slug of code {code}: expected {names}"
    elsewhere = [e for e in find_by_slug(snap, slug) if e.code != code]
    if elsewhere:
        message += f" ({quote(elsewhere[0].slug)} is the slug of code {elsewhere[0].code})"
    out.error(pointer("error", "slug"), "catalogue.slug_mismatch", message)
