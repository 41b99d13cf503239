"""The shapes of a catalogue diff (see ``app.catalogue.diff`` for what each part means)."""

from __future__ import annotations

import msgspec

from app.catalogue.breaking import BreakingChange
from app.catalogue.model import CodeRow, DeclaredRange, EnvelopeFieldDoc, ErrorTypeDoc

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


# The type: ignores below: msgspec.defstruct builds these bases at runtime, which mypy cannot see.
class DiffEntry(_PlacedRow, frozen=True):  # type: ignore[misc, valid-type, call-arg]
    """A documented code as it stands on one side of the diff; ``service`` is the section name."""


class EntryChange(DiffEntry, frozen=True):  # type: ignore[call-arg]
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


def _part(item: type, change: type) -> type:
    """The fields of every part of the diff: items only in new or old, and changed items."""
    return msgspec.defstruct(
        f"_{item.__name__}Part",
        [
            ("added", tuple[item, ...]),  # type: ignore[valid-type]
            ("removed", tuple[item, ...]),  # type: ignore[valid-type]
            ("changed", tuple[change, ...]),  # type: ignore[valid-type]
        ],
        frozen=True,
        module=__name__,
    )


class RangesDiff(_part(DeclaredRange, RangeChange), frozen=True):  # type: ignore[misc, call-arg]
    """Declared ranges; a range is matched by its label when the label is printed once."""


class SectionsDiff(_part(SectionHeading, SectionChange), frozen=True):  # type: ignore[misc, call-arg]
    """Sections, matched by (namespace, name): headings and heading ranges."""


class ErrorTypesDiff(_part(ErrorTypeDoc, ErrorTypeChange), frozen=True):  # type: ignore[misc, call-arg]
    pass


class EnvelopeDiff(_part(EnvelopeFieldDoc, EnvelopeFieldChange), frozen=True):  # type: ignore[misc, call-arg]
    pass


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
