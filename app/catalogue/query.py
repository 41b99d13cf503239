"""Lookups over a Snapshot: find codes, sections and slugs, filter, resolve ranges. Pure
functions; the snapshot they read is built by ``app.catalogue.build``."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable
from http import HTTPStatus

from app.catalogue.errors import CodeNotFound, InvalidFilter, NumberUnknown
from app.catalogue.guidance import parse_action, parse_bool
from app.catalogue.model import ORIGINS, Entry, RangeRef, Section, Snapshot
from app.catalogue.names import HTTP_SECTION, RANGED_NAMESPACE, make_slug, service_key
from app.catalogue.text import quote


class RangeIndex:
    """Which declared ranges hold a number, in O(log ranges) rather than a scan of every range.

    The ranges' bounds cut the number line into segments that no range starts or ends inside,
    so every number of a segment lies in the same ranges: those are found once per segment, in
    the page's order, and a lookup is one bisection. (A scan per entry made building a
    100,000-code snapshot take seconds.)
    """

    def __init__(self, ranges: tuple[RangeRef, ...]) -> None:
        self._bounds = sorted({r.start for r in ranges} | {r.end + 1 for r in ranges})
        self._holders = [tuple(r for r in ranges if r.start <= b <= r.end) for b in self._bounds]

    def containing(self, code: int) -> tuple[RangeRef, ...]:
        at = bisect_right(self._bounds, code) - 1
        return self._holders[at] if at >= 0 else ()


def lookup(snap: Snapshot, code: int, namespace: str | None = None) -> tuple[Entry, ...]:
    entries = snap.by_code.get(code, ())
    if namespace is None:
        return entries
    return tuple(e for e in entries if e.namespace == namespace)


def ranges_containing(snap: Snapshot, code: int) -> tuple[RangeRef, ...]:
    # Snapshot types it Any: model cannot import query, which imports model.
    index: RangeIndex = snap.range_index
    return index.containing(code)


def nearest_ranges(snap: Snapshot, code: int) -> tuple[RangeRef, ...]:
    """The closest declared range below and the closest above a number in no range."""
    below = [r for r in snap.ranges if r.end < code]
    above = [r for r in snap.ranges if r.start > code]
    out = []
    if below:
        out.append(max(below, key=lambda r: r.end))
    if above:
        out.append(min(above, key=lambda r: r.start))
    return tuple(out)


def describe_ranges(ranges: Iterable[RangeRef]) -> str:
    return ", ".join(f"{r.start}-{r.end} ({r.service})" for r in ranges)


def describe_nearest(snap: Snapshot, code: int) -> str:
    """The nearest declared ranges of a number in none, as the suggestions name them."""
    return describe_ranges(nearest_ranges(snap, code))


def undocumented_code_fix(snap: Snapshot, number: int, namespace: str | None = None) -> str:
    """What to do about a number no entry (of ``namespace``, when given) documents."""
    elsewhere = sorted({e.namespace for e in lookup(snap, number)})
    if elsewhere:
        return (
            f"{number} is documented in namespace {', '.join(elsewhere)}; "
            "leave out ?namespace= to see every entry."
        )
    ranges = ranges_containing(snap, number)
    if ranges:
        return (
            f"{number} is undocumented but lies in the declared range "
            f"{describe_ranges(ranges)}; GET /ranges/resolve?code={number} tells more."
        )
    return f"{number} lies in no declared range; the nearest are {describe_nearest(snap, number)}."


def find_code(snap: Snapshot, number: int, namespace: str | None = None) -> tuple[Entry, ...]:
    """The entries documenting ``number``; CodeNotFound (saying where it lies) when none."""
    entries = lookup(snap, number, namespace)
    if not entries:
        raise CodeNotFound(number, namespace, undocumented_code_fix(snap, number, namespace))
    return entries


def resolve_number(
    snap: Snapshot, number: int, namespace: str | None = None
) -> tuple[tuple[RangeRef, ...], tuple[Entry, ...]]:
    """The declared ranges containing a number and its entries; NumberUnknown when neither."""
    ranges, entries = ranges_containing(snap, number), lookup(snap, number, namespace)
    if not ranges and not entries:
        raise NumberUnknown(number, describe_nearest(snap, number))
    return ranges, entries


def find_section(snap: Snapshot, name: str) -> Section | None:
    return (
        snap.section_aliases.get(name)
        or snap.section_aliases.get(name.lower())
        or snap.section_aliases.get(service_key(name))
    )


def find_by_slug(snap: Snapshot, slug: str) -> tuple[Entry, ...]:
    return snap.by_slug.get(slug.lower(), ())


MAX_TEXT_FILTER = 200
# Deleting the control characters (C0, DEL, C1) in one C-level pass tells whether there are any.
_DROP_CONTROL = dict.fromkeys([*range(0x20), *range(0x7F, 0xA0)])


def has_control_characters(value: str) -> bool:
    return len(value.translate(_DROP_CONTROL)) != len(value)


def is_status_text(text: str) -> bool:
    """``[1-5](?:[0-9][0-9]|xx)`` in ASCII, checked without a pattern engine."""
    return (
        len(text) == 3
        and text[0] in "12345"
        and (text[1:] == "xx" or (text[1:].isascii() and text[1:].isdigit()))
    )


def parse_status_filter(raw: str) -> tuple[int, int]:
    """``404`` -> (404, 404); ``4xx`` -> (400, 499). Raises InvalidFilter otherwise.

    ASCII only: digits such as "٤٠٤" are refused, and only spaces and tabs around the value are
    ignored (str.strip() would also drop control characters such as \\x1c).
    """
    text = raw.strip(" \t").lower()
    if is_status_text(text):
        if text.endswith("xx"):
            low = int(text[0]) * 100
            return low, low + 99
        return int(text), int(text)
    raise InvalidFilter(
        "status",
        "status must be an HTTP status (100-599) or a class such as 4xx, "
        f"not {quote(raw, mark_cut=False)}",
    )


def check_text_filter(field: str, value: str) -> str:
    """A text filter is well formed when it has at most 200 characters and no control
    characters; a well-formed value that matches nothing simply finds nothing."""
    if len(value) > MAX_TEXT_FILTER:
        raise InvalidFilter(field, f"{field} must have at most {MAX_TEXT_FILTER} characters")
    if has_control_characters(value):
        shown = quote(value, mark_cut=False)
        raise InvalidFilter(field, f"{field} must not contain control characters, not {shown}")
    return value


def filter_entries(
    snap: Snapshot,
    *,
    status: str | None = None,
    service: str | None = None,
    namespace: str | None = None,
    name: str | None = None,
    slug: str | None = None,
    q: str | None = None,
    action: str | None = None,
    retryable: str | None = None,
    origin: str | None = None,
) -> tuple[Entry, ...]:
    entries: Iterable[Entry] = snap.entries
    for field, value in (("service", service), ("name", name), ("slug", slug), ("q", q)):
        if value is not None:
            check_text_filter(field, value)
    # Parse every value before filtering, so a bad one is reported whatever the others match.
    try:
        wanted_action = None if action is None else parse_action(action)
    except ValueError as exc:
        raise InvalidFilter("action", str(exc)) from None
    try:
        wanted_retry = None if retryable is None else parse_bool(retryable, "retryable")
    except ValueError as exc:
        raise InvalidFilter("retryable", str(exc)) from None
    wanted_origin = None if origin is None else origin.strip(" \t").lower()
    if wanted_origin is not None and wanted_origin not in ORIGINS:
        shown = quote(origin or "", mark_cut=False)
        raise InvalidFilter("origin", f"origin must be one of {', '.join(ORIGINS)}, not {shown}")
    if slug is not None:
        entries = find_by_slug(snap, slug)
    if status is not None:
        low, high = parse_status_filter(status)
        entries = [e for e in entries if low <= e.status <= high]
    if service is not None:
        # An unknown service is a filter that matches nothing, like an unknown name or slug.
        section = find_section(snap, service)
        entries = (
            []
            if section is None
            else [
                e for e in entries if e.service == section.name and e.namespace == section.namespace
            ]
        )
    if namespace is not None:
        entries = [e for e in entries if e.namespace == namespace]
    if name is not None:
        wanted = name.lower()
        entries = [e for e in entries if e.name.lower() == wanted]
    if q is not None:
        entries = list(filter(text_matcher(q), entries))
    if wanted_action is not None:
        entries = [e for e in entries if e.action == wanted_action]
    if wanted_retry is not None:
        entries = [e for e in entries if e.retryable is wanted_retry]
    if wanted_origin is not None:
        entries = [e for e in entries if e.origin == wanted_origin]
    return tuple(entries)


def text_matcher(q: str) -> Callable[[Entry], bool]:
    """The ``q`` search: the code number exactly (``1205``), or, ignoring case, a part of the
    name, description, service or slug (``Tool_ToolNotFound``)."""
    needle = q.lower()
    digits = q.strip(" \t")
    number = int(digits) if digits.isascii() and digits.isdigit() else None

    def matches(e: Entry) -> bool:
        return (
            (number is not None and e.code == number)  # a numberless entry has code None
            or needle in e.name.lower()
            or needle in e.description.lower()
            or needle in e.service.lower()
            or needle in e.slug.lower()
        )

    return matches


def status_counts(snap: Snapshot) -> dict[int, int]:
    counts = Counter(e.status for e in snap.entries)
    return dict(sorted(counts.items()))


def _camel(phrase: str) -> str:
    return "".join(word[:1].upper() + word[1:] for word in re.split(r"[^A-Za-z0-9]+", phrase))


def http_error_identity(snap: Snapshot, status: int, prefer: str | None = None) -> tuple[int, str]:
    """The catalogue code and slug that errcat's own errors use for an HTTP status.

    Rule: an entry of the HTTP section with that status (the one named ``prefer`` when given,
    else the one numbered 10000 + status, else the first); for a status the page documents no
    code for, 10000 + status (inside the HTTP range 10000-10999, so it resolves to HTTP) with the
    slug ``HTTP_<ReasonPhrase>``.
    """
    candidates = snap.http_section_by_status.get(status, ())
    if candidates:
        chosen = next((e for e in candidates if e.name == prefer), None) or next(
            (e for e in candidates if e.code == 10000 + status), candidates[0]
        )
        if chosen.code is not None:  # a numberless amendment cannot name an error
            return chosen.code, chosen.slug
    return undocumented_http_identity(status)


def undocumented_http_identity(status: int) -> tuple[int, str]:
    """10000 + status and ``HTTP_<ReasonPhrase>``: for a status the page has no code for."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = f"Status{status}"
    return 10000 + status, make_slug(HTTP_SECTION, _camel(phrase))


def entries_in_range(snap: Snapshot, rng: RangeRef) -> tuple[Entry, ...]:
    """The documented entries whose code lies in a declared range (platform codes only)."""
    return tuple(
        e
        for e in snap.entries
        if e.namespace == RANGED_NAMESPACE and e.code is not None and rng.start <= e.code <= rng.end
    )
