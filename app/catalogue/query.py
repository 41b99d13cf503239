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
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Generator, Iterable
from http import HTTPStatus
from operator import attrgetter
from types import MappingProxyType
from typing import TypeVar

import msgspec

from app.catalogue.amendments import AmendedEntry, AmendedService, AmendmentNote, AmendmentsDoc
from app.catalogue.errors import CodeNotFound, InvalidFilter, NumberUnknown
from app.catalogue.guidance import (
    NO_OVERRIDES,
    Guidance,
    GuidanceOverrides,
    Identity,
    entry_guidance,
    guidance,
    parse_action,
    parse_bool,
)
from app.catalogue.model import (
    ORIGINS,
    CatalogueDocument,
    CatalogueVersion,
    CodeRow,
    Entry,
    EntryNote,
    ErrorType,
    RangeRef,
    Section,
    Snapshot,
)
from app.catalogue.text import quote

HTTP_SECTION = "HTTP"
# The namespace whose codes the page's range list and section headings describe.
RANGED_NAMESPACE = "platform"


def slug_service(service: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "", service)


def make_slug(service: str, name: str) -> str:
    return f"{slug_service(service)}_{name}"


def service_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


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


class Shared:
    """The one object kept for each distinct name and status while a snapshot is built."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.statuses: dict[int, int] = {}


def _entry(
    section_name: str,
    namespace: str,
    slug_prefix: str,
    row: CodeRow,
    ranges: RangeIndex,
    overrides: GuidanceOverrides,
    shared: Shared,
) -> Entry:
    # Names and statuses recur across sections (NotFound, 404): one object each, not one per row.
    name = shared.names.setdefault(row.name, row.name)
    status = shared.statuses.setdefault(row.status, row.status)
    slug = f"{slug_prefix}_{name}"
    advice = entry_guidance(namespace, row.code, name, slug, status, overrides)
    return Entry(
        code=row.code,
        name=name,
        status=status,
        description=row.description,
        service=section_name,
        namespace=namespace,
        slug=slug,
        action=advice.action,
        retryable=advice.retryable,
        ranges=ranges.containing(row.code),
    )


def amendment_namespace(doc: CatalogueDocument, service: str) -> str:
    """The namespace of an amendment naming ``service``: the page section's of that name (the
    platform's first), else the amended service's, else the platform's."""
    namespaces = [s.namespace for s in doc.sections if s.name == service]
    namespaces += [s.namespace for s in doc.amendments.services if s.name == service]
    if RANGED_NAMESPACE in namespaces or not namespaces:
        return RANGED_NAMESPACE
    return namespaces[0]


def amendment_overrides(doc: CatalogueDocument) -> GuidanceOverrides:
    """The guidance overrides the amendments give: an entry's or a note's ``action``, keyed by
    the entry's identity (namespace, code, name), or by slug for an entry without a number. A
    note's action wins over the entry's own (notes come later)."""
    by_identity: dict[Identity, Guidance] = {}
    by_slug: dict[str, Guidance] = {}
    items: list[AmendedEntry | AmendmentNote] = [*doc.amendments.entries, *doc.amendments.notes]
    for item in items:
        if item.action is None:
            continue
        advice = guidance(item.action)
        if item.code is None:
            by_slug[make_slug(item.service, item.name).lower()] = advice
        else:
            namespace = amendment_namespace(doc, item.service)
            by_identity[(namespace, item.code, item.name)] = advice
    if not by_identity and not by_slug:
        return NO_OVERRIDES
    return GuidanceOverrides(
        by_slug=MappingProxyType(by_slug), by_identity=MappingProxyType(by_identity)
    )


def _amendment_entries(
    doc: CatalogueDocument, ranges: RangeIndex, overrides: GuidanceOverrides
) -> dict[str, list[Entry]]:
    """The amendments' entries by the service they name, in the file's order."""
    out: dict[str, list[Entry]] = {}
    for a in doc.amendments.entries:
        namespace = amendment_namespace(doc, a.service)
        slug = make_slug(a.service, a.name)
        # Without a number there is no identity key; -1 never names an entry (its slug does).
        code = -1 if a.code is None else a.code
        advice = entry_guidance(namespace, code, a.name, slug, a.status, overrides)
        ranged = a.code is not None and namespace == RANGED_NAMESPACE
        out.setdefault(a.service, []).append(
            Entry(
                code=a.code,
                name=a.name,
                status=a.status,
                description=a.description,
                service=a.service,
                namespace=namespace,
                slug=slug,
                action=advice.action,
                retryable=advice.retryable,
                ranges=ranges.containing(code) if ranged else (),
                origin="amendment",
                provenance=a.provenance,
            )
        )
    return out


def _with_notes(entry: Entry, amendments: AmendmentsDoc) -> Entry:
    notes = tuple(
        EntryNote(
            note=n.note, superseded_by=n.superseded_by, action=n.action, provenance=n.provenance
        )
        for n in amendments.notes
        if (n.service, n.code, n.name) == (entry.service, entry.code, entry.name)
    )
    return msgspec.structs.replace(entry, notes=notes) if notes else entry


def entry_order(e: Entry) -> tuple[bool, int, str]:
    """Every listing's order: by code, then service; entries without a number last."""
    return (e.code is None, e.code or 0, e.service)


# Entries built between two pauses of ``snapshot_steps``: a fraction of a millisecond of work,
# so that the caller can pause by time (app.live resumes it for about a millisecond at a time).
STEP = 100

BuildSteps = Generator[None, None, Snapshot]
T = TypeVar("T")


def build_snapshot(
    doc: CatalogueDocument,
    version: CatalogueVersion,
    overrides: GuidanceOverrides | None = None,
) -> Snapshot:
    """The indexed catalogue, built in one go (see ``snapshot_steps``)."""
    return run_steps(snapshot_steps(doc, version, overrides))


def run_steps(steps: Generator[None, None, T]) -> T:
    """Drive a computation in steps (``snapshot_steps``, ``store.decode_stored_steps``) to the
    end without pausing; what it returns."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            result: T = done.value
            return result


def snapshot_steps(
    doc: CatalogueDocument,
    version: CatalogueVersion,
    overrides: GuidanceOverrides | None = None,
    step: int = STEP,
) -> BuildSteps:
    """Build the indexed catalogue, pausing (``yield``) after about every ``step`` entries; the
    generator returns the Snapshot. ``build_snapshot`` runs it straight through; the running
    service resumes it from its event loop between requests (``app.live``), so a 100,000-code
    build never holds the loop for long. Nothing is shared until the Snapshot is returned.

    The catalogue: the page's sections and rows, then what the amendments add (their entries
    join their service's section, or a section of their own for a service the page lacks; their
    ranges follow the page's). ``overrides`` default to the amendments' own."""
    if overrides is None:
        overrides = amendment_overrides(doc)
    amended = doc.amendments
    ranges = tuple(RangeRef(start=r.start, end=r.end, service=r.label) for r in doc.ranges)
    ranges += tuple(RangeRef(start=r.start, end=r.end, service=r.label) for r in amended.ranges)
    range_index = RangeIndex(ranges)
    no_ranges = RangeIndex(())
    sections: list[Section] = []
    all_entries: list[Entry] = []
    extra = _amendment_entries(doc, range_index, overrides)
    page_names = {s.name for s in doc.sections}
    # (the amendments' service, or None for a service named by an entry only: integrity reports
    # it, and it still gets its section) with its name
    amended_sections: list[tuple[AmendedService | None, str]] = [
        (s, s.name) for s in amended.services if s.name not in page_names
    ] + [
        (None, name)
        for name in extra
        if name not in page_names and name not in {s.name for s in amended.services}
    ]
    names = [s.name for s in doc.sections] + [n for _, n in amended_sections]
    keys = Counter(service_key(n) for n in names)
    shared = Shared()
    done = 0  # entries built since the last pause
    for s in doc.sections:
        # Thermos codes (1-6) live in their own system: platform ranges say nothing about them.
        scope = range_index if s.namespace == RANGED_NAMESPACE else no_ranges
        slug_prefix = slug_service(s.name)
        built: list[Entry] = []
        for at in range(0, len(s.rows), step):
            built += [
                _entry(s.name, s.namespace, slug_prefix, row, scope, overrides, shared)
                for row in s.rows[at : at + step]
            ]
            done += min(step, len(s.rows) - at)
            if done >= step:
                done = 0
                yield
        entries = tuple(built) + tuple(extra.pop(s.name, ()))
        del built
        if amended.notes:
            entries = tuple(_with_notes(e, amended) for e in entries)
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
    del shared
    for service, name in amended_sections:
        namespace = service.namespace if service else RANGED_NAMESPACE
        entries = tuple(_with_notes(e, amended) for e in extra.pop(name, ()))
        key = service_key(name)
        sections.append(
            Section(
                name=name,
                key=key if keys[key] == 1 else f"{namespace}-{key}",
                heading=name,
                namespace=namespace,
                range_start=None,
                range_end=None,
                declared_ranges=tuple(r for r in ranges if r.service == name),
                entries=entries,
                origin="amendment",
                provenance=service.provenance if service else None,
            )
        )
        all_entries.extend(entries)
    yield
    entries_sorted = yield from _in_listing_order(all_entries, step)
    del all_entries
    # One tuple per entry serves both indexes while the entry is alone under its code and its
    # slug (almost always); no per-key lists are built (they were 100,000 short-lived objects).
    by_code: dict[int, tuple[Entry, ...]] = {}
    by_slug: dict[str, tuple[Entry, ...]] = {}
    http_by_status: dict[int, list[Entry]] = {}
    for at in range(0, len(entries_sorted), step):
        for e in entries_sorted[at : at + step]:
            alone = (e,)
            if e.code is not None:
                had = by_code.get(e.code)
                by_code[e.code] = alone if had is None else had + alone
            slug = e.slug.lower()
            had = by_slug.get(slug)
            by_slug[slug] = alone if had is None else had + alone
            if e.service == HTTP_SECTION and e.namespace == "platform":
                http_by_status.setdefault(e.status, []).append(e)
        yield
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
        head=document_head(doc),
        entries=entries_sorted,
        ranges=ranges,
        range_index=range_index,
        sections=tuple(sections),
        error_types=error_types,
        by_code=by_code,
        by_slug=by_slug,
        section_aliases=aliases,
        error_type_index={t.type: t for t in error_types},
        http_section_by_status={k: tuple(v) for k, v in http_by_status.items()},
        guidance_overrides=overrides,
    )


def _in_listing_order(entries: list[Entry], step: int) -> Generator[None, None, tuple[Entry, ...]]:
    """``entries`` in every listing's order (``entry_order``), stably: the numbered ones by
    code (one short sort: the page's order is nearly that already, and the key is a C getter
    returning the entries' own code objects, so nothing is allocated per entry), each run of
    one code then by service; the numberless ones after them, by service."""
    numbered = [e for e in entries if e.code is not None]
    numberless = sorted((e for e in entries if e.code is None), key=attrgetter("service"))
    numbered.sort(key=attrgetter("code"))
    yield
    at = 0
    while at < len(numbered):
        end = at + 1
        code = numbered[at].code
        while end < len(numbered) and numbered[end].code == code:
            end += 1
        if end - at > 1:
            numbered[at:end] = sorted(numbered[at:end], key=attrgetter("service"))
        if at // step != end // step:
            yield
        at = end
    return (*numbered, *numberless)


def document_head(doc: CatalogueDocument) -> CatalogueDocument:
    """The document without its rows (every section's ``rows`` empty): a Snapshot keeps this,
    since the rows are its page entries already (``Snapshot.document()`` puts them back)."""
    return msgspec.structs.replace(
        doc, sections=tuple(msgspec.structs.replace(s, rows=()) for s in doc.sections)
    )


def lookup(snap: Snapshot, code: int, namespace: str | None = None) -> tuple[Entry, ...]:
    entries = snap.by_code.get(code, ())
    if namespace is None:
        return entries
    return tuple(e for e in entries if e.namespace == namespace)


def ranges_containing(snap: Snapshot, code: int) -> tuple[RangeRef, ...]:
    index: RangeIndex = snap.range_index  # Snapshot types it Any (model cannot import query)
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


_STATUS = re.compile(r"[1-5](?:[0-9][0-9]|xx)", re.ASCII)
MAX_TEXT_FILTER = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def parse_status_filter(raw: str) -> tuple[int, int]:
    """``404`` -> (404, 404); ``4xx`` -> (400, 499). Raises InvalidFilter otherwise.

    ASCII only: digits such as "٤٠٤" are refused, and only spaces and tabs around the value are
    ignored (str.strip() would also drop control characters such as \\x1c).
    """
    text = raw.strip(" \t").lower()
    if _STATUS.fullmatch(text):
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
    if _CONTROL.search(value):
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
