"""What changes between two catalogue documents, and which changes would break clients. Pure.

``diff_catalogues(old, new)`` compares two seed documents (a stored revision and a changed seed
file, or two revisions) and answers a ``CatalogueDiff``; ``render_diff`` turns it into the lines
a ``plan`` command prints.

Entries. An entry's identity is (namespace, section name, code, name): the slug a live error
carries and the number it sends. Same identity with a different ``status`` or ``description``
is *changed* (one ``FieldChange`` per field). An identity only in ``old`` is *removed*, only in
``new`` is *added* — except where, within one section, a number loses its old name(s) and gains
new one(s): that is one *reused* number (old has (S, 1205, A), new has (S, 1205, B) and not A),
not a removal plus an addition. A renumbered entry (same name, new number) and an entry moved to
another section are a removal plus an addition. The order of rows is not a change.

Breaking changes, the ones seeding refuses unless forced, and the changes that are allowed
(reported, never breaking) are one table: ``app.catalogue.breaking.CHANGE_RULES``. In short:
removing a code, reusing a number, changing a status, removing an error type, and removing,
retyping or newly requiring an envelope field break clients; additions, descriptions,
examples, ranges and headings do not (they change how numbers outside the documented codes
resolve, not what any documented code means).

Every list is sorted (entries by namespace, code, section, name), so one pair of documents
always gives the same diff.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, TypeVar

import msgspec

from app.catalogue.amendments import AmendedEntry, AmendmentsDoc, Provenance
from app.catalogue.breaking import BreakingChange as BreakingChange
from app.catalogue.breaking import Parts, breaking_changes, names
from app.catalogue.diff_model import (
    AmendedRangeChange,
    AmendedRangeItem,
    AmendedRangesDiff,
    AmendedServiceChange,
    AmendedServiceItem,
    AmendedServicesDiff,
    AmendmentsDiff,
    DiffEntry,
    DiffSummary,
    EntryChange,
    EnvelopeDiff,
    EnvelopeFieldChange,
    ErrorTypeChange,
    ErrorTypesDiff,
    FieldChange,
    NoteChange,
    NoteItem,
    NotesDiff,
    RangeChange,
    RangesDiff,
    ReusedCode,
    SectionChange,
    SectionHeading,
    SectionsDiff,
)
from app.catalogue.diff_model import (
    CatalogueDiff as CatalogueDiff,
)
from app.catalogue.model import (
    CatalogueDocument,
    CodeRow,
    DeclaredRange,
    EnvelopeFieldDoc,
    ErrorTypeDoc,
    SectionDoc,
)
from app.catalogue.query import amendment_namespace


def diff_catalogues(old: CatalogueDocument, new: CatalogueDocument) -> CatalogueDiff:
    added, removed, changed, reused = _diff_entries(old, new)
    ranges = _diff_ranges(old.ranges, new.ranges)
    sections = _diff_sections(old.sections, new.sections)
    error_types = _diff_error_types(old.error_types, new.error_types)
    envelope = _diff_envelope(old.envelope, new.envelope)
    source = FieldChange("source", old.source, new.source) if old.source != new.source else None
    amendments = _diff_amendments(old.amendments, new.amendments)
    breaking = breaking_changes(Parts(removed, changed, reused, error_types, envelope))
    part_sizes = {
        name: len(part.added) + len(part.removed) + len(part.changed)
        for name, part in (
            ("ranges", ranges),
            ("sections", sections),
            ("error_types", error_types),
            ("envelope_fields", envelope),
            ("amendments", amendments.services),
        )
    }
    part_sizes["amendments"] += sum(
        len(part.added) + len(part.removed) + len(part.changed)
        for part in (amendments.ranges, amendments.notes)
    ) + (amendments.source is not None)
    summary = DiffSummary(
        added=len(added),
        removed=len(removed),
        changed=len(changed),
        reused=len(reused),
        breaking=len(breaking),
        **part_sizes,
    )
    has_changes = bool(added or removed or changed or reused or source) or any(part_sizes.values())
    return CatalogueDiff(
        added=added,
        removed=removed,
        changed=changed,
        reused=reused,
        ranges=ranges,
        sections=sections,
        error_types=error_types,
        envelope=envelope,
        source=source,
        amendments=amendments,
        breaking=breaking,
        summary=summary,
        is_breaking=bool(breaking),
        has_changes=has_changes,
    )


# --- entries ---------------------------------------------------------------------------------

EntryIdentity = tuple[str, str, int | None, str]  # namespace, section name, code, name
ENTRY_FIELDS = ("status", "description", "origin", "action", "provenance")


def _entries_of(doc: CatalogueDocument) -> dict[EntryIdentity, DiffEntry]:
    """The page's entries, then the amendments' (origin "amendment"). The seed checks make
    identities unique within each source; an amendment repeating a page entry (an integrity
    finding) is left out here: the page's entry stands for both."""
    found: dict[EntryIdentity, DiffEntry] = {
        (section.namespace, section.name, row.code, row.name): _diff_entry(section, row)
        for section in doc.sections
        for row in section.rows
    }
    for a in doc.amendments.entries:
        namespace = amendment_namespace(doc, a.service)
        found.setdefault((namespace, a.service, a.code, a.name), _amended_entry(namespace, a))
    return found


def provenance_text(p: Provenance) -> str:
    return f"{p.seen_in} ({p.url + ', ' if p.url else ''}seen {p.seen})"


def _amended_entry(namespace: str, a: AmendedEntry) -> DiffEntry:
    return DiffEntry(
        namespace=namespace,
        service=a.service,
        code=a.code,
        name=a.name,
        status=a.status,
        description=a.description,
        origin="amendment",
        action=a.action,
        provenance=provenance_text(a.provenance),
    )


def _diff_entry(section: SectionDoc, row: CodeRow) -> DiffEntry:
    return DiffEntry(
        namespace=section.namespace, service=section.name, **msgspec.structs.asdict(row)
    )


def _entry_order(entry: DiffEntry | EntryChange) -> tuple[str, bool, int, str, str]:
    return (entry.namespace, entry.code is None, entry.code or 0, entry.service, entry.name)


def _diff_entries(
    old_doc: CatalogueDocument, new_doc: CatalogueDocument
) -> tuple[
    tuple[DiffEntry, ...], tuple[DiffEntry, ...], tuple[EntryChange, ...], tuple[ReusedCode, ...]
]:
    old, new = _entries_of(old_doc), _entries_of(new_doc)
    changed = []
    for identity in old.keys() & new.keys():
        before, after = old[identity], new[identity]
        changes = _field_changes(before, after, ENTRY_FIELDS)
        if changes:
            changed.append(EntryChange(**msgspec.structs.asdict(after), changes=changes))
    # An entry known by its slug only that gains its number is the same entry, changed.
    numbered = {(i[0], i[1], i[3]): i for i in new.keys() - old.keys() if i[2] is not None}
    for identity in [i for i in old.keys() - new.keys() if i[2] is None]:
        match = numbered.pop((identity[0], identity[1], identity[3]), None)
        if match is None:
            continue
        before, after = old.pop(identity), new.pop(match)
        changes = (FieldChange("code", None, after.code),)
        changes += _field_changes(before, after, ENTRY_FIELDS)
        changed.append(EntryChange(**msgspec.structs.asdict(after), changes=changes))

    # Group what is on one side only by number within a section: a number that lost names and
    # gained names is a reuse; what is left is plainly removed or added.
    gone_by_number: dict[tuple[str, str, int], list[DiffEntry]] = defaultdict(list)
    new_by_number: dict[tuple[str, str, int], list[DiffEntry]] = defaultdict(list)
    removed = []
    added = []
    for identity in old.keys() - new.keys():
        if identity[2] is None:  # no number, so nothing to reuse
            removed.append(old[identity])
        else:
            gone_by_number[identity[:3]].append(old[identity])  # type: ignore[index]
    for identity in new.keys() - old.keys():
        if identity[2] is None:
            added.append(new[identity])
        else:
            new_by_number[identity[:3]].append(new[identity])  # type: ignore[index]
    reused = []
    for number in gone_by_number.keys() & new_by_number.keys():
        namespace, service, code = number
        reused.append(
            ReusedCode(
                namespace=namespace,
                service=service,
                code=code,
                before=tuple(sorted(gone_by_number.pop(number), key=_entry_order)),
                after=tuple(sorted(new_by_number.pop(number), key=_entry_order)),
            )
        )
    removed += [e for entries in gone_by_number.values() for e in entries]
    added += [e for entries in new_by_number.values() for e in entries]
    return (
        tuple(sorted(added, key=_entry_order)),
        tuple(sorted(removed, key=_entry_order)),
        tuple(sorted(changed, key=_entry_order)),
        tuple(sorted(reused, key=lambda r: (r.namespace, r.code, r.service))),
    )


# --- the other parts of the document ----------------------------------------------------------

Item = TypeVar("Item", bound=msgspec.Struct)


def _field_changes(before: object, after: object, fields: Iterable[str]) -> tuple[FieldChange, ...]:
    return tuple(
        FieldChange(field, getattr(before, field), getattr(after, field))
        for field in fields
        if getattr(before, field) != getattr(after, field)
    )


def _match(
    old: Sequence[Item], new: Sequence[Item], key: Callable[[Item], Hashable]
) -> tuple[list[Item], list[Item], list[tuple[Item, Item]]]:
    """Split two lists into (only in old, only in new, pairs with the same key).

    Items are paired by ``key`` only where the key occurs once on each side; where it occurs
    more often the items cannot be told apart, so they are compared whole.
    """
    old_by_key: dict[Hashable, list[Item]] = defaultdict(list)
    new_by_key: dict[Hashable, list[Item]] = defaultdict(list)
    for item in old:
        old_by_key[key(item)].append(item)
    for item in new:
        new_by_key[key(item)].append(item)
    removed: list[Item] = []
    added: list[Item] = []
    pairs: list[tuple[Item, Item]] = []
    for k in old_by_key.keys() | new_by_key.keys():
        before, after = old_by_key.get(k, []), new_by_key.get(k, [])
        if len(before) == 1 and len(after) == 1:
            pairs.append((before[0], after[0]))
        else:
            removed += [item for item in before if item not in after]
            added += [item for item in after if item not in before]
    return removed, added, pairs


def _range_order(r: DeclaredRange) -> tuple[int, int, str]:
    return (r.start, r.end, r.label)


def _section_order(s: SectionHeading | SectionChange) -> tuple[str, str]:
    return (s.namespace, s.name)


def _error_type_order(t: ErrorTypeDoc | ErrorTypeChange) -> tuple[str, str]:
    return (t.namespace, t.type)


def _by_name(f: EnvelopeFieldDoc | EnvelopeFieldChange) -> str:
    return f.name


Part = TypeVar("Part", RangesDiff, SectionsDiff, ErrorTypesDiff, EnvelopeDiff)


def _diff_part(
    part: type[Part],
    old: Sequence[Item],
    new: Sequence[Item],
    *,
    key: Callable[[Item], Hashable],
    fields: tuple[str, ...],
    change: Callable[[Item, tuple[FieldChange, ...]], msgspec.Struct],
    order: Callable[[Item], tuple[object, ...] | str],
    # Any: the part's own change struct (RangeChange ...), which ``change`` builds
    change_order: Callable[[Any], tuple[object, ...] | str] | None = None,
) -> Part:
    """One part of the document: items only in old or new, and paired items whose ``fields``
    differ (``change`` builds the change from the old item and its field changes)."""
    removed, added, pairs = _match(old, new, key)
    changed = [
        change(before, changes)
        for before, after in pairs
        if (changes := _field_changes(before, after, fields))
    ]
    return part(
        added=tuple(sorted(added, key=order)),
        removed=tuple(sorted(removed, key=order)),
        changed=tuple(sorted(changed, key=change_order or order)),
    )


def _heading(section: SectionDoc) -> SectionHeading:
    return SectionHeading(
        namespace=section.namespace,
        name=section.name,
        heading=section.heading,
        range_start=section.range_start,
        range_end=section.range_end,
    )


def _diff_ranges(old: Sequence[DeclaredRange], new: Sequence[DeclaredRange]) -> RangesDiff:
    return _diff_part(
        RangesDiff,
        old,
        new,
        key=lambda r: r.label,
        fields=("start", "end"),
        change=lambda r, changes: RangeChange(label=r.label, changes=changes),
        order=_range_order,
        change_order=lambda c: c.label,
    )


def _diff_sections(old: Sequence[SectionDoc], new: Sequence[SectionDoc]) -> SectionsDiff:
    return _diff_part(
        SectionsDiff,
        [_heading(s) for s in old],
        [_heading(s) for s in new],
        key=lambda s: (s.namespace, s.name),
        fields=("heading", "range_start", "range_end"),
        change=lambda s, changes: SectionChange(
            namespace=s.namespace, name=s.name, changes=changes
        ),
        order=_section_order,
    )


def _diff_error_types(old: Sequence[ErrorTypeDoc], new: Sequence[ErrorTypeDoc]) -> ErrorTypesDiff:
    return _diff_part(
        ErrorTypesDiff,
        old,
        new,
        key=lambda t: (t.namespace, t.type),
        fields=("description",),
        change=lambda t, changes: ErrorTypeChange(
            namespace=t.namespace, type=t.type, changes=changes
        ),
        order=_error_type_order,
    )


def _diff_envelope(
    old: Sequence[EnvelopeFieldDoc], new: Sequence[EnvelopeFieldDoc]
) -> EnvelopeDiff:
    return _diff_part(
        EnvelopeDiff,
        old,
        new,
        key=lambda f: f.name,
        fields=("type", "required", "example"),
        change=lambda f, changes: EnvelopeFieldChange(name=f.name, changes=changes),
        order=_by_name,
    )


def _diff_amendments(old: AmendmentsDoc, new: AmendmentsDoc) -> AmendmentsDiff:
    def services(doc: AmendmentsDoc) -> list[AmendedServiceItem]:
        return [
            AmendedServiceItem(s.namespace, s.name, provenance_text(s.provenance))
            for s in doc.services
        ]

    def ranges(doc: AmendmentsDoc) -> list[AmendedRangeItem]:
        return [
            AmendedRangeItem(r.start, r.end, r.label, provenance_text(r.provenance))
            for r in doc.ranges
        ]

    def notes(doc: AmendmentsDoc) -> list[NoteItem]:
        return [
            NoteItem(
                n.service,
                n.code,
                n.name,
                n.note,
                n.superseded_by,
                n.action,
                provenance_text(n.provenance),
            )
            for n in doc.notes
        ]

    return AmendmentsDiff(
        services=_diff_part(
            AmendedServicesDiff,
            services(old),
            services(new),
            key=lambda s: (s.namespace, s.name),
            fields=("provenance",),
            change=lambda s, c: AmendedServiceChange(namespace=s.namespace, name=s.name, changes=c),
            order=lambda s: (s.namespace, s.name),
        ),
        ranges=_diff_part(
            AmendedRangesDiff,
            ranges(old),
            ranges(new),
            key=lambda r: r.label,
            fields=("start", "end", "provenance"),
            change=lambda r, c: AmendedRangeChange(label=r.label, changes=c),
            order=lambda r: (r.start, r.end, r.label),
            change_order=lambda c: c.label,
        ),
        notes=_diff_part(
            NotesDiff,
            notes(old),
            notes(new),
            key=lambda n: (n.service, n.code, n.name),
            fields=("note", "superseded_by", "action", "provenance"),
            change=lambda n, c: NoteChange(service=n.service, code=n.code, name=n.name, changes=c),
            order=lambda n: (n.code, n.service, n.name),
        ),
        source=(
            FieldChange("amendments source", old.source, new.source)
            if old.source != new.source
            else None
        ),
    )


# --- text ------------------------------------------------------------------------------------


def _number(code: int | None) -> str:
    return "(no number)" if code is None else str(code)


def _entry_line(mark: str, entry: DiffEntry) -> str:
    origin = " [amendment]" if entry.origin == "amendment" else ""
    return (
        f"{mark} {entry.namespace} {entry.service} {_number(entry.code)} {entry.name} "
        f"({entry.status}){origin}: {entry.description}"
    )


def render_diff(diff: CatalogueDiff) -> str:
    """The diff as text for a terminal: one line per change, breaking changes last."""
    s = diff.summary
    lines = [
        f"entries: {s.added} added, {s.removed} removed, {s.changed} changed, "
        f"{s.reused} reused; {s.breaking} breaking"
    ]
    lines += [_entry_line("+", e) for e in diff.added]
    lines += [_entry_line("-", e) for e in diff.removed]
    for c in diff.changed:
        what = _changes_text(c.changes)
        lines.append(f"~ {c.namespace} {c.service} {_number(c.code)} {c.name}: {what}")
    for r in diff.reused:
        lines.append(f"~ {r.namespace} {r.service} {r.code}: {names(r.before)} -> {names(r.after)}")
    parts = (
        ("range", diff.ranges),
        ("section", diff.sections),
        ("error type", diff.error_types),
        ("envelope field", diff.envelope),
        ("amended service", diff.amendments.services),
        ("amended range", diff.amendments.ranges),
        ("note", diff.amendments.notes),
    )
    for label, part in parts:
        lines += [f"+ {label} {_struct_text(item)}" for item in part.added]
        lines += [f"- {label} {_struct_text(item)}" for item in part.removed]
        for change in part.changed:
            key = " ".join(
                str(v) for k, v in msgspec.structs.asdict(change).items() if k != "changes"
            )
            what = _changes_text(change.changes)
            lines.append(f"~ {label} {key}: {what}")
    for source in (diff.source, diff.amendments.source):
        if source is not None:
            lines.append(f"~ {source.field}: {source.old!r} -> {source.new!r}")
    lines += [f"! breaking ({b.kind}): {b.reason}" for b in diff.breaking]
    if not diff.has_changes:
        lines.append("no changes")
    return "\n".join(lines)


def _struct_text(item: msgspec.Struct) -> str:
    return " ".join(f"{k}={v!r}" for k, v in msgspec.structs.asdict(item).items())


def _changes_text(changes: Iterable[FieldChange]) -> str:
    return "; ".join(f"{f.field} {f.old!r} -> {f.new!r}" for f in changes)
