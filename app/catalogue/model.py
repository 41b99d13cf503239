"""The catalogue's domain shapes: what the seed file holds and what the service answers with.

Two families live here:
- the *document* Structs (``CatalogueDocument`` and its parts) mirror the seed file row for row,
  exactly as the vendor's page prints it; the seed loader, the database store and the diff
  all speak this shape;
- the *wire* Structs (``Entry``, ``RangeRef`` ...) are what the API returns; ``Entry`` is shared
  by every endpoint that lists codes, so a field added once appears everywhere.

Everything is frozen: a Snapshot is built once and then only read, by many requests at once.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from app.catalogue.amendments import NO_AMENDMENTS, AmendmentsDoc, Provenance
from app.catalogue.guidance import NO_OVERRIDES, GuidanceOverrides

Namespace = Literal["platform", "thermos"]
# The largest code number errcat reads (18 digits; none is negative): paths, bodies, conversions.
MAX_CODE = 10**18 - 1
NAMESPACES: tuple[str, ...] = ("platform", "thermos")


# --- the seed document ----------------------------------------------------------------------


class DeclaredRange(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One line of the page's "Error Code Ranges" list, e.g. ``100-199: Prisma/Database errors``."""

    start: int
    end: int
    label: str


class CodeRow(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One row of a section's table, as printed."""

    code: int
    name: str
    status: int
    description: str


class SectionDoc(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A heading of the page with its table, e.g. ``Auth Errors (900-999)``.

    ``range_start``/``range_end`` are the range printed in the heading (None when the heading
    prints none, as for Thermos's "Database Errors").
    """

    namespace: Namespace
    name: str
    heading: str
    range_start: int | None
    range_end: int | None
    rows: tuple[CodeRow, ...]


class ErrorTypeDoc(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A Thermos string error type (``json_decode`` ...)."""

    type: str
    description: str
    namespace: Namespace = "thermos"


class EnvelopeFieldDoc(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One field of the page's error envelope format."""

    name: str
    type: Literal["string", "integer", "array"]
    required: bool
    example: str


class CatalogueDocument(
    msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True
):
    """The whole catalogue: the page's transcription (the seed file) and errcat's amendments.

    One document, so that hashing, revisions, diffs, ``plan`` and ``seed`` cover both. With no
    amendments the field is the shared ``NO_AMENDMENTS`` and is left out of the encoding (see
    ``app.seeds.canonical_bytes``), so revisions stored before amendments existed keep their
    hashes and still decode.
    """

    source: str
    envelope: tuple[EnvelopeFieldDoc, ...]
    ranges: tuple[DeclaredRange, ...]
    sections: tuple[SectionDoc, ...]
    error_types: tuple[ErrorTypeDoc, ...]
    amendments: AmendmentsDoc = NO_AMENDMENTS


# --- what the service answers with ----------------------------------------------------------


class RangeRef(msgspec.Struct, frozen=True):
    """A declared range as it appears inside other answers."""

    start: int
    end: int
    service: str


class EntryNote(msgspec.Struct, frozen=True):
    """An amendment's remark on an entry (docs/amendments.md)."""

    note: str | None
    superseded_by: int | None  # the code the platform sends instead, when known
    action: str | None  # the guidance override the note gives, if any
    provenance: Provenance


Origin = Literal["page", "amendment"]
ORIGINS: tuple[str, ...] = ("page", "amendment")


class Entry(msgspec.Struct, frozen=True, gc=False):
    """One documented code: the unit of every code listing.

    ``gc=False``: an Entry holds only numbers, strings and frozen Structs of them, so it can
    never be part of a reference cycle; untracked, 100,000 of them weigh 1.6 MB less and the
    collector never walks them (docs/performance.md).

    ``code`` is None for an amendment whose number is not known (found by its slug only).
    ``origin`` says which source of truth documents it: the vendor's page or an amendment (with
    its ``provenance``); ``notes`` are the amendments' remarks on it.
    """

    code: int | None
    name: str
    status: int
    description: str
    service: str
    namespace: str
    slug: str
    action: str  # what a client should do (app.catalogue.guidance, docs/guidance.md)
    retryable: bool  # whether sending the same request again can succeed
    ranges: tuple[RangeRef, ...]
    origin: Origin = "page"
    provenance: Provenance | None = None  # where an amendment was seen; None for the page
    notes: tuple[EntryNote, ...] = ()


class ErrorType(msgspec.Struct, frozen=True):
    type: str
    description: str
    namespace: str


class Section(msgspec.Struct, frozen=True):
    """A section (a "service") of the page, with what the API derives for it."""

    name: str
    key: str
    heading: str
    namespace: str
    range_start: int | None
    range_end: int | None
    declared_ranges: tuple[RangeRef, ...]
    entries: tuple[Entry, ...]  # the page's rows, then the amendments' entries for it
    origin: Origin = "page"  # "amendment": a service only the amendments know
    provenance: Provenance | None = None


class CatalogueVersion(msgspec.Struct, frozen=True):
    """Which catalogue is loaded: a content hash and the database's revision number."""

    revision: int
    content_hash: str
    loaded_at: str


class Snapshot(msgspec.Struct, frozen=True):
    """The immutable, indexed catalogue every request reads; built by ``build.build_snapshot``.

    The dicts are indexes over the tuples and are never mutated after construction.
    """

    version: CatalogueVersion
    # The seed document without its rows (every section's ``rows`` is empty): its source,
    # envelope, ranges, section headings, error types and amendments. The rows are the page
    # entries of ``sections`` already; ``document()`` puts them back.
    head: CatalogueDocument
    # by (code, service), page before amendment, numberless last: every listing's order
    entries: tuple[Entry, ...]
    ranges: tuple[RangeRef, ...]  # as printed
    range_index: Any  # query.RangeIndex over ``ranges``
    sections: tuple[Section, ...]  # as printed
    error_types: tuple[ErrorType, ...]
    by_code: dict[int, tuple[Entry, ...]]
    by_slug: dict[str, tuple[Entry, ...]]  # key: slug in lower case
    section_aliases: dict[str, Section]  # printed name, lower case, URL key
    error_type_index: dict[str, ErrorType]
    http_section_by_status: dict[int, tuple[Entry, ...]]  # the HTTP section's entries, by status
    # Per-entry guidance replacing the status defaults (from the amendments' actions)
    guidance_overrides: GuidanceOverrides = NO_OVERRIDES

    def document(self) -> CatalogueDocument:
        """The whole document the snapshot was built from, rows included: rebuilt from
        ``head`` and the page entries of ``sections`` (the first sections, in the page's order,
        each entry with its row's code, name, status and description). Costs a pass over every
        entry: for the rare reader that needs the rows."""
        rows = [
            tuple(
                CodeRow(code=e.code, name=e.name, status=e.status, description=e.description)
                for e in section.entries
                if e.origin == "page" and e.code is not None
            )
            for section in self.sections[: len(self.head.sections)]
        ]
        return msgspec.structs.replace(
            self.head,
            sections=tuple(
                msgspec.structs.replace(s, rows=r)
                for s, r in zip(self.head.sections, rows, strict=True)
            ),
        )
