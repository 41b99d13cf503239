"""The parts of a catalogue diff other than its entries: declared ranges, sections, error types,
envelope fields and the amendments' services, ranges and notes. Each is a list compared with its
counterpart item by item (``diff_part``); ``app.catalogue.diff`` assembles the whole. Pure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, TypeVar

import msgspec

from app.catalogue.amendments import AmendmentsDoc, Provenance
from app.catalogue.diff_model import (
    AmendedRangeChange,
    AmendedRangeItem,
    AmendedRangesDiff,
    AmendedServiceChange,
    AmendedServiceItem,
    AmendedServicesDiff,
    AmendmentsDiff,
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
    SectionChange,
    SectionHeading,
    SectionsDiff,
)
from app.catalogue.model import DeclaredRange, EnvelopeFieldDoc, ErrorTypeDoc, SectionDoc


def provenance_text(p: Provenance) -> str:
    return f"{p.seen_in} ({p.url + ', ' if p.url else ''}seen {p.seen})"


Item = TypeVar("Item", bound=msgspec.Struct)


def field_changes(before: object, after: object, fields: Iterable[str]) -> tuple[FieldChange, ...]:
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
        if (changes := field_changes(before, after, fields))
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


def diff_ranges(old: Sequence[DeclaredRange], new: Sequence[DeclaredRange]) -> RangesDiff:
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


def diff_sections(old: Sequence[SectionDoc], new: Sequence[SectionDoc]) -> SectionsDiff:
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


def diff_error_types(old: Sequence[ErrorTypeDoc], new: Sequence[ErrorTypeDoc]) -> ErrorTypesDiff:
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


def diff_envelope(old: Sequence[EnvelopeFieldDoc], new: Sequence[EnvelopeFieldDoc]) -> EnvelopeDiff:
    return _diff_part(
        EnvelopeDiff,
        old,
        new,
        key=lambda f: f.name,
        fields=("type", "required", "example"),
        change=lambda f, changes: EnvelopeFieldChange(name=f.name, changes=changes),
        order=_by_name,
    )


def diff_amendments(old: AmendmentsDoc, new: AmendmentsDoc) -> AmendmentsDiff:
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
