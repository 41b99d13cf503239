"""Building a Snapshot from a catalogue document: the page's sections and rows, then what the
amendments add, indexed for every lookup. Built in steps (``snapshot_steps``) so that the
running service can build a 100,000-code snapshot between requests (app.live). Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator
from operator import attrgetter
from types import MappingProxyType
from typing import TypeVar

import msgspec

from app.catalogue.amendments import AmendedEntry, AmendedService, AmendmentNote, AmendmentsDoc
from app.catalogue.guidance import (
    NO_OVERRIDES,
    Guidance,
    GuidanceOverrides,
    Identity,
    entry_guidance,
    guidance,
)
from app.catalogue.model import (
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
from app.catalogue.names import (
    HTTP_SECTION,
    RANGED_NAMESPACE,
    make_slug,
    service_key,
    slug_service,
)
from app.catalogue.query import RangeIndex


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
