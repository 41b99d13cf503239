"""The amendments document (``seeds/amendments.json``): what errcat adds to the vendor's page.

The page's transcription stays exactly as the page prints it; what the live platform is seen to
send that the page lacks is an *amendment* (a service, a range, an entry, a note), kept beside it
with where it was seen (its ``provenance``); docs/amendments.md is the reference. The Structs
refuse unknown fields, so a typo is an error naming its place, never a silent gap;
``check_amendments`` refuses what the types cannot express. Pure; imports nothing from the rest
of the catalogue but the guidance vocabulary.
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Literal

import msgspec

from app.catalogue.guidance import ACTIONS

Seen = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$")]


class Provenance(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Where an amendment was seen: a description, a URL when there is one, and when (a year,
    year-month or date: ``2026``, ``2026-09``, ``2026-09-11``)."""

    seen_in: str
    url: str | None
    seen: Seen


class AmendedService(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    namespace: Literal["platform", "thermos"]
    name: str
    provenance: Provenance


class AmendedRange(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    start: int
    end: int
    label: str  # the service the range is declared for, as a range-list line names it
    provenance: Provenance


class AmendedEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An error code the page lacks; ``code`` None: only the slug (service + name) is known."""

    code: int | None
    service: str
    name: str
    status: int
    description: str
    action: str | None  # overrides the status default (app.catalogue.guidance)
    provenance: Provenance


class AmendmentNote(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A remark on the entry (service, code, name): text, the code that supersedes it, a
    guidance override; at least one of the three."""

    code: int
    service: str
    name: str
    note: str | None
    superseded_by: int | None
    action: str | None
    provenance: Provenance


class AmendmentsDoc(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    source: str = ""
    services: tuple[AmendedService, ...] = ()
    ranges: tuple[AmendedRange, ...] = ()
    entries: tuple[AmendedEntry, ...] = ()
    notes: tuple[AmendmentNote, ...] = ()


# The one empty document: CatalogueDocument's default (omitted from the canonical encoding, so
# revisions stored before amendments existed keep their content hashes).
NO_AMENDMENTS = AmendmentsDoc()


def amendment_problems(doc: AmendmentsDoc) -> list[str]:
    """What the types cannot refuse, each naming its place (``entries[3]``)."""
    problems: list[str] = []

    def action_ok(place: str, action: str | None) -> None:
        if action is not None and action not in ACTIONS:
            problems.append(f"{place}: action {action!r} is not one of {', '.join(ACTIONS)}")

    services = Counter((s.namespace, s.name) for s in doc.services)
    for i, s in enumerate(doc.services):
        if not s.name.strip():
            problems.append(f"services[{i}]: empty name")
        elif services[(s.namespace, s.name)] > 1:
            problems.append(f"services[{i}]: {s.namespace}/{s.name} is listed more than once")
    for i, r in enumerate(doc.ranges):
        if r.start > r.end:
            problems.append(f"ranges[{i}]: {r.start}-{r.end} ends before it starts")
        if not r.label.strip():
            problems.append(f"ranges[{i}]: empty label")
    identities = Counter((e.service, e.code, e.name) for e in doc.entries)
    for i, e in enumerate(doc.entries):
        place = f"entries[{i}] ({e.service}_{e.name})"
        if not e.service.strip() or not e.name.strip():
            problems.append(f"entries[{i}]: service and name must not be empty")
        if not 100 <= e.status <= 599:
            problems.append(f"{place}: status {e.status} is not an HTTP status")
        if identities[(e.service, e.code, e.name)] > 1:
            problems.append(f"{place}: code {e.code} is listed more than once")
        action_ok(place, e.action)
    for i, n in enumerate(doc.notes):
        place = f"notes[{i}] ({n.service} {n.code} {n.name})"
        if n.note is None and n.superseded_by is None and n.action is None:
            problems.append(f"{place}: says nothing (note, superseded_by and action are null)")
        action_ok(place, n.action)
    return problems
