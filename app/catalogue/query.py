"""Lookups over a Snapshot: build it, find codes, filter, resolve ranges. Pure functions.

Slugs: live error responses carry ``<Service>_<Name>``. The service part is the section name as
printed with every character that cannot appear in an identifier removed, so
``Prisma/Database`` + ``NotFound`` gives ``PrismaDatabase_NotFound`` while ``Auth_Config`` keeps
its underscore (``Auth_Config_NotFound``). Slug look-ups ignore case.

Service keys (URL-friendly names): the printed name in lower case with every run of other
characters turned into ``-`` (``Auth_Config`` -> ``auth-config``, ``Prisma/Database`` ->
``prisma-database``); a service is also found by its printed name, in any case.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from http import HTTPStatus

from app.catalogue.model import (
    CatalogueDocument,
    CatalogueVersion,
    Entry,
    ErrorType,
    RangeRef,
    Section,
    Snapshot,
)

HTTP_SECTION = "HTTP"


def slug_service(service: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "", service)


def make_slug(service: str, name: str) -> str:
    return f"{slug_service(service)}_{name}"


def service_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _containing(ranges: Iterable[RangeRef], code: int) -> tuple[RangeRef, ...]:
    return tuple(r for r in ranges if r.start <= code <= r.end)


def build_snapshot(doc: CatalogueDocument, version: CatalogueVersion) -> Snapshot:
    ranges = tuple(RangeRef(start=r.start, end=r.end, service=r.label) for r in doc.ranges)
    sections: list[Section] = []
    all_entries: list[Entry] = []
    keys = Counter(service_key(s.name) for s in doc.sections)
    for s in doc.sections:
        # Thermos codes (1-6) live in their own system: platform ranges say nothing about them.
        scope = ranges if s.namespace == "platform" else ()
        entries = tuple(
            Entry(
                code=row.code,
                name=row.name,
                status=row.status,
                description=row.description,
                service=s.name,
                namespace=s.namespace,
                slug=make_slug(s.name, row.name),
                ranges=_containing(scope, row.code),
            )
            for row in s.rows
        )
        key = service_key(s.name)
        sections.append(
            Section(
                name=s.name,
                key=key if keys[key] == 1 else f"{s.namespace}-{key}",
                heading=s.heading,
                namespace=s.namespace,
                range_start=s.range_start,
                range_end=s.range_end,
                declared_ranges=tuple(r for r in ranges if r.service == s.name),
                entries=entries,
            )
        )
        all_entries.extend(entries)
    # Stable sort: entries of one code in one section keep the page's order.
    all_entries.sort(key=lambda e: (e.code, e.service))
    by_code: dict[int, list[Entry]] = {}
    by_slug: dict[str, list[Entry]] = {}
    for e in all_entries:
        by_code.setdefault(e.code, []).append(e)
        by_slug.setdefault(e.slug.lower(), []).append(e)
    aliases: dict[str, Section] = {}
    for sec in sections:
        for alias in (sec.name, sec.name.lower(), sec.key):
            aliases.setdefault(alias, sec)
    error_types = tuple(
        ErrorType(type=t.type, description=t.description, namespace=t.namespace)
        for t in doc.error_types
    )
    return Snapshot(
        version=version,
        document=doc,
        entries=tuple(all_entries),
        ranges=ranges,
        sections=tuple(sections),
        error_types=error_types,
        by_code={k: tuple(v) for k, v in by_code.items()},
        by_slug={k: tuple(v) for k, v in by_slug.items()},
        section_aliases=aliases,
        error_type_index={t.type: t for t in error_types},
        http_section_by_status=_http_section_by_status(all_entries),
        etag=f'W/"{version.revision}-{version.content_hash[:16]}"',
    )


def _http_section_by_status(entries: list[Entry]) -> dict[int, tuple[Entry, ...]]:
    by_status: dict[int, list[Entry]] = {}
    for e in entries:
        if e.service == HTTP_SECTION and e.namespace == "platform":
            by_status.setdefault(e.status, []).append(e)
    return {k: tuple(v) for k, v in by_status.items()}


def lookup(snap: Snapshot, code: int, namespace: str | None = None) -> tuple[Entry, ...]:
    entries = snap.by_code.get(code, ())
    if namespace is None:
        return entries
    return tuple(e for e in entries if e.namespace == namespace)


def ranges_containing(snap: Snapshot, code: int) -> tuple[RangeRef, ...]:
    return _containing(snap.ranges, code)


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


def find_section(snap: Snapshot, name: str) -> Section | None:
    return (
        snap.section_aliases.get(name)
        or snap.section_aliases.get(name.lower())
        or snap.section_aliases.get(service_key(name))
    )


def find_by_slug(snap: Snapshot, slug: str) -> tuple[Entry, ...]:
    return snap.by_slug.get(slug.lower(), ())


class FilterError(ValueError):
    """A filter value that cannot be understood; ``field`` names the parameter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def parse_status_filter(raw: str) -> tuple[int, int]:
    """``404`` -> (404, 404); ``4xx`` -> (400, 499). Raises FilterError otherwise."""
    text = raw.strip().lower()
    if re.fullmatch(r"[1-5]xx", text):
        low = int(text[0]) * 100
        return low, low + 99
    if re.fullmatch(r"\d{3}", text) and 100 <= int(text) <= 599:
        return int(text), int(text)
    raise FilterError(
        "status",
        f"status must be an HTTP status (100-599) or a class such as 4xx, not {raw[:40]!r}",
    )


def filter_entries(
    snap: Snapshot,
    *,
    status: str | None = None,
    service: str | None = None,
    namespace: str | None = None,
    name: str | None = None,
    slug: str | None = None,
    q: str | None = None,
) -> tuple[Entry, ...]:
    entries: Iterable[Entry] = snap.entries
    if slug is not None:
        entries = find_by_slug(snap, slug)
    if status is not None:
        low, high = parse_status_filter(status)
        entries = [e for e in entries if low <= e.status <= high]
    if service is not None:
        section = find_section(snap, service)
        if section is None:
            raise FilterError(
                "service", f"no service is named {service[:40]!r} (see GET /services)"
            )
        entries = [
            e for e in entries if e.service == section.name and e.namespace == section.namespace
        ]
    if namespace is not None:
        entries = [e for e in entries if e.namespace == namespace]
    if name is not None:
        wanted = name.lower()
        entries = [e for e in entries if e.name.lower() == wanted]
    if q is not None:
        entries = list(filter(text_matcher(q), entries))
    return tuple(entries)


def text_matcher(q: str) -> Callable[[Entry], bool]:
    """The ``q`` search: the code number exactly (``1205``), or, ignoring case, a part of the
    name, description, service or slug (``Tool_ToolNotFound``)."""
    needle = q.lower()
    digits = q.strip()
    number = int(digits) if digits.isascii() and digits.isdigit() else None

    def matches(e: Entry) -> bool:
        return (
            e.code == number
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
    return tuple(
        e for e in snap.entries if e.namespace == "platform" and rng.start <= e.code <= rng.end
    )
