"""Wire shapes of the API that are not domain Structs (pages, summaries, lookups)."""

from __future__ import annotations

import msgspec

from app.catalogue.model import CatalogueVersion, Entry, ErrorType, RangeRef, Section


class CodeLookup(msgspec.Struct, frozen=True):
    """Every documented entry for one number, and the declared ranges that contain it."""

    code: int
    entries: tuple[Entry, ...]
    ranges: tuple[RangeRef, ...]


class EntryPage(msgspec.Struct, frozen=True):
    items: tuple[Entry, ...]
    total: int
    limit: int
    offset: int


class Health(msgspec.Struct, frozen=True):
    status: str


class StatusCount(msgspec.Struct, frozen=True):
    status: int
    phrase: str
    entries: int


class StatusList(msgspec.Struct, frozen=True):
    items: tuple[StatusCount, ...]
    total: int


class StatusEntries(msgspec.Struct, frozen=True):
    status: int
    phrase: str
    entries: tuple[Entry, ...]


# A section as listed: its own fields but the entries, which it counts instead.
SECTION_SUMMARY_FIELDS = tuple(
    f.name for f in msgspec.structs.fields(Section) if f.name != "entries"
)
ServiceSummary = msgspec.defstruct(
    "ServiceSummary",
    [
        *((f.name, f.type) for f in msgspec.structs.fields(Section) if f.name != "entries"),
        ("entry_count", int),
    ],
    frozen=True,
    module=__name__,
)


class ServiceList(msgspec.Struct, frozen=True):
    items: tuple[ServiceSummary, ...]  # type: ignore[valid-type]
    total: int


class RangeSection(msgspec.Struct, frozen=True):
    service: str
    entries: int


class RangeSummary(msgspec.Struct, frozen=True):
    start: int
    end: int
    service: str
    sections: tuple[RangeSection, ...]
    entry_count: int


class RangeList(msgspec.Struct, frozen=True):
    items: tuple[RangeSummary, ...]
    total: int


class RangeResolution(msgspec.Struct, frozen=True):
    """What a client learns about any number: its declared range(s) and documented entries."""

    code: int
    ranges: tuple[RangeRef, ...]
    entries: tuple[Entry, ...]
    documented: bool


class ErrorTypeList(msgspec.Struct, frozen=True):
    items: tuple[ErrorType, ...]
    total: int


class CatalogueCounts(msgspec.Struct, frozen=True):
    ranges: int
    sections: int
    entries: int
    error_types: int
    envelope_fields: int


class CatalogueInfo(msgspec.Struct, frozen=True):
    version: CatalogueVersion
    source: str
    counts: CatalogueCounts


class RevisionList(msgspec.Struct, frozen=True):
    items: tuple[CatalogueVersion, ...]
    total: int
