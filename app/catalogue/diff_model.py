"""The shapes of a catalogue diff's parts (``app.catalogue.diff`` says what each means and
assembles them into a ``CatalogueDiff``)."""

from __future__ import annotations

import msgspec

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
        # an amendment's entry may have no number
        *(
            (f.name, int | None if f.name == "code" else f.type)
            for f in msgspec.structs.fields(CodeRow)
        ),
    ],
    frozen=True,
    module=__name__,
)


# The type: ignores below: msgspec.defstruct builds these bases at runtime, which mypy cannot see.
class DiffEntry(_PlacedRow, frozen=True, kw_only=True):  # type: ignore[misc, valid-type, call-arg]
    """A documented code as it stands on one side of the diff; ``service`` is the section name.

    ``origin`` is "page" or "amendment"; for an amendment, ``action`` is its guidance override
    and ``provenance`` where it was seen, in one line.
    """

    origin: str = "page"
    action: str | None = None
    provenance: str | None = None


class EntryChange(DiffEntry, frozen=True, kw_only=True):  # type: ignore[call-arg]
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


class AmendedServiceItem(msgspec.Struct, frozen=True):
    """A service the amendments add, with its provenance in one line."""

    namespace: str
    name: str
    provenance: str


class AmendedRangeItem(msgspec.Struct, frozen=True):
    start: int
    end: int
    label: str
    provenance: str


class NoteItem(msgspec.Struct, frozen=True):
    """An amendment's note on the entry (service, code, name)."""

    service: str
    code: int
    name: str
    note: str | None
    superseded_by: int | None
    action: str | None
    provenance: str


class AmendedServiceChange(msgspec.Struct, frozen=True):
    namespace: str
    name: str
    changes: tuple[FieldChange, ...]


class AmendedRangeChange(msgspec.Struct, frozen=True):
    label: str
    changes: tuple[FieldChange, ...]


class NoteChange(msgspec.Struct, frozen=True):
    service: str
    code: int
    name: str
    changes: tuple[FieldChange, ...]


class AmendedServicesDiff(_part(AmendedServiceItem, AmendedServiceChange), frozen=True):  # type: ignore[misc, call-arg]
    """Services the amendments add, matched by (namespace, name)."""


class AmendedRangesDiff(_part(AmendedRangeItem, AmendedRangeChange), frozen=True):  # type: ignore[misc, call-arg]
    """Ranges the amendments declare, matched by label when it is given once."""


class NotesDiff(_part(NoteItem, NoteChange), frozen=True):  # type: ignore[misc, call-arg]
    """Notes on entries, matched by (service, code, name) when one note per entry."""


class AmendmentsDiff(msgspec.Struct, frozen=True):
    """The amendments' parts other than entries (their entries are in the entry lists, with
    ``origin`` "amendment"); ``source`` is the amendments file's source line."""

    services: AmendedServicesDiff
    ranges: AmendedRangesDiff
    notes: NotesDiff
    source: FieldChange | None


class DiffSummary(msgspec.Struct, frozen=True):
    """Counts; the last five count added + removed + changed items of each part (amendments:
    their services, ranges and notes)."""

    added: int
    removed: int
    changed: int
    reused: int
    breaking: int
    ranges: int
    sections: int
    error_types: int
    envelope_fields: int
    amendments: int = 0
