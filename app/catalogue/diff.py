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

Breaking changes (``BreakingChange.kind``), the ones seeding refuses unless forced:
- ``code_removed``: an entry removed (not part of a reuse): clients handling it lose it;
- ``code_reused``: a number that now means something else: clients handling it misread it;
- ``status_changed``: an entry's HTTP status changed: clients branch on it;
- ``error_type_removed``: a Thermos error type removed: clients match on the type string;
- ``envelope_field_removed``, ``envelope_field_changed`` (its type or whether it is required
  changed, in either direction), ``envelope_field_added`` (only when the new field is required):
  the envelope is parsed by every client and checked by the validator, so any of these turns
  envelopes that were valid, or code that read them, wrong.
Allowed (reported, never breaking): added entries, changed descriptions, added error types or
changed error type descriptions, added optional envelope fields or changed examples, and every
change to the declared ranges, section headings and heading ranges: these change how numbers
outside the documented codes resolve, not what any documented code means. A change of the
document's ``source`` line is reported too.

Every list is sorted (entries by namespace, code, section, name), so one pair of documents
always gives the same diff.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Literal, NamedTuple, TypeVar

import msgspec

from app.catalogue.model import (
    CatalogueDocument,
    CodeRow,
    DeclaredRange,
    EnvelopeFieldDoc,
    ErrorTypeDoc,
    SectionDoc,
)

FieldValue = str | int | bool | None


class FieldChange(msgspec.Struct, frozen=True):
    field: str
    old: FieldValue
    new: FieldValue


# A section's row (CodeRow's fields, in its order) with the section it stands in first.
_PlacedRow = msgspec.defstruct(
    "_PlacedRow",
    [
        ("namespace", str),
        ("service", str),
        *((f.name, f.type) for f in msgspec.structs.fields(CodeRow)),
    ],
    frozen=True,
    module=__name__,
)


class DiffEntry(_PlacedRow, frozen=True):  # type: ignore[misc, valid-type]
    """A documented code as it stands on one side of the diff; ``service`` is the section name."""


class EntryChange(DiffEntry, frozen=True):
    """An entry present on both sides whose status or description changed.

    ``status`` and ``description`` are the new values; ``changes`` gives old and new.
    """

    changes: tuple[FieldChange, ...]


class ReusedCode(msgspec.Struct, frozen=True):
    """A number of one section that lost its old name(s) and carries new one(s)."""

    namespace: str
    service: str
    code: int
    before: tuple[DiffEntry, ...]
    after: tuple[DiffEntry, ...]


class BreakingChange(msgspec.Struct, frozen=True):
    """One change that would break clients; ``reason`` is a sentence naming what and why.

    ``service``/``code`` are None for error types and envelope fields; ``name`` is the entry's
    name (the old name(s) for a reuse), the error type or the envelope field.
    """

    kind: BreakingKind
    reason: str
    namespace: str | None = None
    service: str | None = None
    code: int | None = None
    name: str | None = None


class SectionHeading(msgspec.Struct, frozen=True):
    """A section without its rows (its rows are in the entry lists)."""

    namespace: str
    name: str
    heading: str
    range_start: int | None
    range_end: int | None


class RangeChange(msgspec.Struct, frozen=True):
    label: str
    changes: tuple[FieldChange, ...]


class SectionChange(msgspec.Struct, frozen=True):
    namespace: str
    name: str
    changes: tuple[FieldChange, ...]


class ErrorTypeChange(msgspec.Struct, frozen=True):
    namespace: str
    type: str
    changes: tuple[FieldChange, ...]


class EnvelopeFieldChange(msgspec.Struct, frozen=True):
    name: str
    changes: tuple[FieldChange, ...]


class RangesDiff(msgspec.Struct, frozen=True):
    """Declared ranges; a range is matched by its label when the label is printed once."""

    added: tuple[DeclaredRange, ...]
    removed: tuple[DeclaredRange, ...]
    changed: tuple[RangeChange, ...]


class SectionsDiff(msgspec.Struct, frozen=True):
    """Sections, matched by (namespace, name): headings and heading ranges."""

    added: tuple[SectionHeading, ...]
    removed: tuple[SectionHeading, ...]
    changed: tuple[SectionChange, ...]


class ErrorTypesDiff(msgspec.Struct, frozen=True):
    added: tuple[ErrorTypeDoc, ...]
    removed: tuple[ErrorTypeDoc, ...]
    changed: tuple[ErrorTypeChange, ...]


class EnvelopeDiff(msgspec.Struct, frozen=True):
    added: tuple[EnvelopeFieldDoc, ...]
    removed: tuple[EnvelopeFieldDoc, ...]
    changed: tuple[EnvelopeFieldChange, ...]


class DiffSummary(msgspec.Struct, frozen=True):
    """Counts; the last four count added + removed + changed items of each part."""

    added: int
    removed: int
    changed: int
    reused: int
    breaking: int
    ranges: int
    sections: int
    error_types: int
    envelope_fields: int


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
    breaking: tuple[BreakingChange, ...]
    summary: DiffSummary
    is_breaking: bool
    has_changes: bool


def diff_catalogues(old: CatalogueDocument, new: CatalogueDocument) -> CatalogueDiff:
    added, removed, changed, reused = _diff_entries(old, new)
    ranges = _diff_ranges(old.ranges, new.ranges)
    sections = _diff_sections(old.sections, new.sections)
    error_types = _diff_error_types(old.error_types, new.error_types)
    envelope = _diff_envelope(old.envelope, new.envelope)
    source = FieldChange("source", old.source, new.source) if old.source != new.source else None
    breaking = _breaking_changes(_Parts(removed, changed, reused, error_types, envelope))
    part_sizes = {
        name: len(part.added) + len(part.removed) + len(part.changed)
        for name, part in (
            ("ranges", ranges),
            ("sections", sections),
            ("error_types", error_types),
            ("envelope_fields", envelope),
        )
    }
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
        breaking=breaking,
        summary=summary,
        is_breaking=bool(breaking),
        has_changes=has_changes,
    )


# --- entries ---------------------------------------------------------------------------------

EntryIdentity = tuple[str, str, int, str]  # namespace, section name, code, name


def _entries_of(doc: CatalogueDocument) -> dict[EntryIdentity, DiffEntry]:
    # The seed check makes (code, name) unique within a section, so identities are unique.
    return {
        (section.namespace, section.name, row.code, row.name): _diff_entry(section, row)
        for section in doc.sections
        for row in section.rows
    }


def _diff_entry(section: SectionDoc, row: CodeRow) -> DiffEntry:
    return DiffEntry(
        namespace=section.namespace, service=section.name, **msgspec.structs.asdict(row)
    )


def _entry_order(entry: DiffEntry | EntryChange) -> tuple[str, int, str, str]:
    return (entry.namespace, entry.code, entry.service, entry.name)


def _diff_entries(
    old_doc: CatalogueDocument, new_doc: CatalogueDocument
) -> tuple[
    tuple[DiffEntry, ...], tuple[DiffEntry, ...], tuple[EntryChange, ...], tuple[ReusedCode, ...]
]:
    old, new = _entries_of(old_doc), _entries_of(new_doc)
    changed = []
    for identity in old.keys() & new.keys():
        before, after = old[identity], new[identity]
        changes = _field_changes(before, after, ("status", "description"))
        if changes:
            changed.append(EntryChange(**msgspec.structs.asdict(after), changes=changes))

    # Group what is on one side only by number within a section: a number that lost names and
    # gained names is a reuse; what is left is plainly removed or added.
    gone_by_number: dict[tuple[str, str, int], list[DiffEntry]] = defaultdict(list)
    new_by_number: dict[tuple[str, str, int], list[DiffEntry]] = defaultdict(list)
    for identity in old.keys() - new.keys():
        gone_by_number[identity[:3]].append(old[identity])
    for identity in new.keys() - old.keys():
        new_by_number[identity[:3]].append(new[identity])
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
    removed = [e for entries in gone_by_number.values() for e in entries]
    added = [e for entries in new_by_number.values() for e in entries]
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


def _diff_ranges(old: Sequence[DeclaredRange], new: Sequence[DeclaredRange]) -> RangesDiff:
    removed, added, pairs = _match(old, new, lambda r: r.label)
    changed = [
        RangeChange(label=before.label, changes=changes)
        for before, after in pairs
        if (changes := _field_changes(before, after, ("start", "end")))
    ]
    return RangesDiff(
        added=tuple(sorted(added, key=_range_order)),
        removed=tuple(sorted(removed, key=_range_order)),
        changed=tuple(sorted(changed, key=lambda c: c.label)),
    )


def _heading(section: SectionDoc) -> SectionHeading:
    return SectionHeading(
        namespace=section.namespace,
        name=section.name,
        heading=section.heading,
        range_start=section.range_start,
        range_end=section.range_end,
    )


def _diff_sections(old: Sequence[SectionDoc], new: Sequence[SectionDoc]) -> SectionsDiff:
    removed, added, pairs = _match(
        [_heading(s) for s in old], [_heading(s) for s in new], lambda s: (s.namespace, s.name)
    )
    changed = [
        SectionChange(namespace=before.namespace, name=before.name, changes=changes)
        for before, after in pairs
        if (changes := _field_changes(before, after, ("heading", "range_start", "range_end")))
    ]
    return SectionsDiff(
        added=tuple(sorted(added, key=_section_order)),
        removed=tuple(sorted(removed, key=_section_order)),
        changed=tuple(sorted(changed, key=_section_order)),
    )


def _diff_error_types(old: Sequence[ErrorTypeDoc], new: Sequence[ErrorTypeDoc]) -> ErrorTypesDiff:
    removed, added, pairs = _match(old, new, lambda t: (t.namespace, t.type))
    changed = [
        ErrorTypeChange(namespace=before.namespace, type=before.type, changes=changes)
        for before, after in pairs
        if (changes := _field_changes(before, after, ("description",)))
    ]
    return ErrorTypesDiff(
        added=tuple(sorted(added, key=_error_type_order)),
        removed=tuple(sorted(removed, key=_error_type_order)),
        changed=tuple(sorted(changed, key=_error_type_order)),
    )


def _diff_envelope(
    old: Sequence[EnvelopeFieldDoc], new: Sequence[EnvelopeFieldDoc]
) -> EnvelopeDiff:
    removed, added, pairs = _match(old, new, lambda f: f.name)
    changed = [
        EnvelopeFieldChange(name=before.name, changes=changes)
        for before, after in pairs
        if (changes := _field_changes(before, after, ("type", "required", "example")))
    ]
    return EnvelopeDiff(
        added=tuple(sorted(added, key=_by_name)),
        removed=tuple(sorted(removed, key=_by_name)),
        changed=tuple(sorted(changed, key=_by_name)),
    )


# --- breaking changes --------------------------------------------------------------------------


def _names(entries: Iterable[DiffEntry]) -> str:
    return " / ".join(f"{e.name} ({e.status})" for e in entries)


class _Parts(NamedTuple):
    """What the breaking-change rules look at."""

    removed: Sequence[DiffEntry]
    changed: Sequence[EntryChange]
    reused: Sequence[ReusedCode]
    error_types: ErrorTypesDiff
    envelope: EnvelopeDiff


Facts = dict[str, object]  # a rule's message fields; namespace/service/code/name identify


class ChangeRule(NamedTuple):
    """One rule of what a change means for clients.

    ``facts`` picks the changes the rule is about from the diff, one dict each: the fields of
    ``message`` and the identity (``namespace``, ``service``, ``code``, ``name``) the finding
    carries. Rules that are not ``breaking`` are listed for completeness and emit nothing.
    """

    kind: str
    compares: str
    breaking: bool
    facts: Callable[[_Parts], Iterable[Facts]] | None = None
    message: str = ""


def _entry_facts(entry: DiffEntry | EntryChange) -> Facts:
    return {
        "namespace": entry.namespace,
        "service": entry.service,
        "code": entry.code,
        "name": entry.name,
    }


def _reuse_facts(reuse: ReusedCode) -> Facts:
    return {
        "namespace": reuse.namespace,
        "service": reuse.service,
        "code": reuse.code,
        "name": " / ".join(e.name for e in reuse.before),
        "meant": _names(reuse.before),
        "means": _names(reuse.after),
    }


def _envelope_contract(change: EnvelopeFieldChange) -> str:
    contract = [c for c in change.changes if c.field in ("type", "required")]
    return "; ".join(f"{c.field} from {c.old} to {c.new}" for c in contract)


CHANGE_RULES: tuple[ChangeRule, ...] = (
    ChangeRule(
        "code_removed",
        "entries only in the old document (not part of a reuse)",
        True,
        lambda p: (_entry_facts(e) for e in p.removed),
        "{service} code {code} ({name}) would be removed; clients that handle it would no "
        "longer find it in the catalogue.",
    ),
    ChangeRule(
        "code_reused",
        "a number of one section that lost its name(s) and gained others",
        True,
        lambda p: (_reuse_facts(r) for r in p.reused),
        "{service} code {code} would be reused: it meant {meant} and would mean {means}; "
        "clients that handle {code} would misread it.",
    ),
    ChangeRule(
        "status_changed",
        "an entry's HTTP status",
        True,
        lambda p: (
            {**_entry_facts(c), "old": f.old, "new": f.new}
            for c in p.changed
            for f in c.changes
            if f.field == "status"
        ),
        "{service} code {code} ({name}) would change its HTTP status from {old} to {new}; "
        "clients that act on the status would behave differently.",
    ),
    ChangeRule(
        "error_type_removed",
        "Thermos error types only in the old document",
        True,
        lambda p: ({"namespace": t.namespace, "name": t.type} for t in p.error_types.removed),
        "The {namespace} error type {name} would be removed; clients that match on it would "
        "no longer find it.",
    ),
    ChangeRule(
        "envelope_field_removed",
        "envelope fields only in the old document",
        True,
        lambda p: ({"name": f.name} for f in p.envelope.removed),
        "The envelope field {name} would be removed; clients that read it would no longer find it.",
    ),
    ChangeRule(
        "envelope_field_changed",
        "an envelope field's type or whether it is required, in either direction",
        True,
        lambda p: (
            {"name": c.name, "what": what}
            for c in p.envelope.changed
            if (what := _envelope_contract(c))
        ),
        "The envelope field {name} would change {what}; envelopes or clients that were valid "
        "against it would no longer be.",
    ),
    ChangeRule(
        "envelope_field_added",
        "required envelope fields only in the new document",
        True,
        lambda p: ({"name": f.name} for f in p.envelope.added if f.required),
        "The envelope would gain the required field {name}; envelopes without it, valid until "
        "now, would be refused.",
    ),
    ChangeRule("code_added", "entries only in the new document", False),
    ChangeRule("description_changed", "an entry's or an error type's description", False),
    ChangeRule("error_type_added", "Thermos error types only in the new document", False),
    ChangeRule("envelope_field_optional", "optional envelope fields added; examples", False),
    ChangeRule("ranges_changed", "declared ranges, section headings, heading ranges", False),
    ChangeRule("source_changed", "the document's source line", False),
)
# The order in which breaking changes are listed: what happened to codes first.
BREAKING_KINDS: tuple[str, ...] = tuple(r.kind for r in CHANGE_RULES if r.breaking)
BreakingKind = Literal[BREAKING_KINDS]  # type: ignore[valid-type]


def _breaking_changes(parts: _Parts) -> tuple[BreakingChange, ...]:
    found = [
        BreakingChange(
            kind=rule.kind,
            reason=rule.message.format(**facts),
            namespace=facts.get("namespace"),
            service=facts.get("service"),
            code=facts.get("code"),
            name=facts.get("name"),
        )
        for rule in CHANGE_RULES
        if rule.breaking and rule.facts is not None
        for facts in rule.facts(parts)
    ]
    return tuple(
        sorted(
            found,
            key=lambda b: (
                BREAKING_KINDS.index(b.kind),
                b.namespace or "",
                -1 if b.code is None else b.code,
                b.service or "",
                b.name or "",
            ),
        )
    )


# --- text ------------------------------------------------------------------------------------


def _entry_line(mark: str, entry: DiffEntry) -> str:
    return (
        f"{mark} {entry.namespace} {entry.service} {entry.code} {entry.name} "
        f"({entry.status}): {entry.description}"
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
        what = "; ".join(f"{f.field} {f.old!r} -> {f.new!r}" for f in c.changes)
        lines.append(f"~ {c.namespace} {c.service} {c.code} {c.name}: {what}")
    for r in diff.reused:
        lines.append(
            f"~ {r.namespace} {r.service} {r.code}: {_names(r.before)} -> {_names(r.after)}"
        )
    parts = (
        ("range", diff.ranges),
        ("section", diff.sections),
        ("error type", diff.error_types),
        ("envelope field", diff.envelope),
    )
    for label, part in parts:
        lines += [f"+ {label} {_struct_text(item)}" for item in part.added]
        lines += [f"- {label} {_struct_text(item)}" for item in part.removed]
        for change in part.changed:
            key = " ".join(
                str(v) for k, v in msgspec.structs.asdict(change).items() if k != "changes"
            )
            what = "; ".join(f"{f.field} {f.old!r} -> {f.new!r}" for f in change.changes)
            lines.append(f"~ {label} {key}: {what}")
    if diff.source is not None:
        lines.append(f"~ source: {diff.source.old!r} -> {diff.source.new!r}")
    lines += [f"! breaking ({b.kind}): {b.reason}" for b in diff.breaking]
    if not diff.has_changes:
        lines.append("no changes")
    return "\n".join(lines)


def _struct_text(item: msgspec.Struct) -> str:
    return " ".join(f"{k}={v!r}" for k, v in msgspec.structs.asdict(item).items())
