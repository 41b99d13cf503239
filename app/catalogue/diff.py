"""What changes between two catalogue documents, and which changes would break clients. Pure.

``diff_catalogues(old, new)`` answers a ``CatalogueDiff``: the entries here, the other parts in
``diff_parts``, the breaking changes by ``breaking.CHANGE_RULES``; ``render_diff`` gives the lines
``errcat plan`` prints. Every list is sorted, so one pair of documents always gives one diff.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import msgspec

from app.catalogue.amendments import AmendedEntry
from app.catalogue.breaking import BreakingChange, Parts, breaking_changes, names
from app.catalogue.build import amendment_namespace
from app.catalogue.diff_model import (
    AmendmentsDiff,
    DiffEntry,
    DiffSummary,
    EntryChange,
    EnvelopeDiff,
    ErrorTypesDiff,
    FieldChange,
    RangesDiff,
    ReusedCode,
    SectionsDiff,
)
from app.catalogue.diff_parts import (
    diff_amendments,
    diff_envelope,
    diff_error_types,
    diff_ranges,
    diff_sections,
    field_changes,
    provenance_text,
)
from app.catalogue.model import CatalogueDocument, CodeRow, SectionDoc


class CatalogueDiff(msgspec.Struct, frozen=True):
    added: tuple[DiffEntry, ...]
    removed: tuple[DiffEntry, ...]
    changed: tuple[EntryChange, ...]
    reused: tuple[ReusedCode, ...]
    ranges: RangesDiff
    sections: SectionsDiff
    error_types: ErrorTypesDiff
    envelope: EnvelopeDiff
    source: FieldChange | None
    amendments: AmendmentsDiff
    breaking: tuple[BreakingChange, ...]
    summary: DiffSummary
    is_breaking: bool
    has_changes: bool


def diff_catalogues(old: CatalogueDocument, new: CatalogueDocument) -> CatalogueDiff:
    """Every change from ``old`` to ``new`` (a stored revision and a changed seed file, or two
    revisions).

    An entry's identity is (namespace, section name, code, name): the slug a live error carries
    and the number it sends. Same identity with another ``status`` or ``description`` is
    *changed* (one ``FieldChange`` per field); an identity only in ``old`` is *removed*, only in
    ``new`` *added*, except where, within one section, a number loses its old name(s) and gains
    new one(s): one *reused* number ((S, 1205, A) in old, (S, 1205, B) and not A in new), not a
    removal plus an addition. A renumbered entry (same name, new number) and an entry moved to
    another section are a removal plus an addition; the order of rows is not a change. Which
    changes break clients (seeding refuses them unless forced) is ``breaking.CHANGE_RULES``:
    removing a code, reusing a number, changing a status, removing an error type, and removing,
    retyping or newly requiring an envelope field; additions, descriptions, examples, ranges and
    headings do not (they change how numbers outside the documented codes resolve, not what any
    documented code means).
    """
    added, removed, changed, reused = _diff_entries(old, new)
    ranges = diff_ranges(old.ranges, new.ranges)
    sections = diff_sections(old.sections, new.sections)
    error_types = diff_error_types(old.error_types, new.error_types)
    envelope = diff_envelope(old.envelope, new.envelope)
    source = FieldChange("source", old.source, new.source) if old.source != new.source else None
    amendments = diff_amendments(old.amendments, new.amendments)
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
        changes = field_changes(before, after, ENTRY_FIELDS)
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
        changes += field_changes(before, after, ENTRY_FIELDS)
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
