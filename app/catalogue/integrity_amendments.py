"""The integrity rules about amendments (``amendment.*``, docs/integrity.md): each amendment
checked against the page and the range list. The page's rules look at the page alone
(``page_only``): an amendment is not the page contradicting itself. Pure."""

from __future__ import annotations

from collections.abc import Iterator

import msgspec

from app.catalogue.integrity_rules import Finding, finding
from app.catalogue.model import Snapshot
from app.catalogue.names import RANGED_NAMESPACE
from app.catalogue.query import describe_ranges


def page_only(snapshot: Snapshot) -> Snapshot:
    """The snapshot as the page alone gives it: no amended entry, section or range."""
    page_ranges = snapshot.ranges[: len(snapshot.head.ranges)]
    sections = tuple(
        msgspec.structs.replace(s, entries=tuple(e for e in s.entries if e.origin == "page"))
        for s in snapshot.sections
        if s.origin == "page"
    )
    return msgspec.structs.replace(
        snapshot,
        entries=tuple(e for e in snapshot.entries if e.origin == "page"),
        ranges=page_ranges,
        sections=sections,
    )


def _known_services(snapshot: Snapshot) -> set[str]:
    doc = snapshot.head
    return {s.name for s in doc.sections} | {s.name for s in doc.amendments.services}


def _page_entries(snapshot: Snapshot) -> dict[tuple[str, int | None, str], int]:
    """(service, code, name) -> status, for the page's entries."""
    # (the page's rows are the page entries of the page's sections, in the page's order)
    return {
        (s.name, e.code, e.name): e.status
        for s in snapshot.sections
        if s.origin == "page"
        for e in s.entries
        if e.origin == "page"
    }


def _amended_against_page(snapshot: Snapshot) -> Iterator[Finding]:
    page = _page_entries(snapshot)
    for a in snapshot.head.amendments.entries:
        status = page.get((a.service, a.code, a.name))
        if status is None:
            continue
        if status != a.status:
            yield finding(
                "amendment.conflicts_with_page",
                f"The amendment {a.service} {a.code} {a.name} gives status {a.status}; the page "
                f"gives {status} for the same entry.",
                codes=(a.code,) if a.code is not None else (),
                sections=(a.service,),
            )
        else:
            yield finding(
                "amendment.duplicates_page",
                f"The amendment {a.service} {a.code} {a.name} repeats the page's entry; it can "
                "be removed from the amendments.",
                codes=(a.code,) if a.code is not None else (),
                sections=(a.service,),
            )


def _amended_ranges(snapshot: Snapshot) -> Iterator[Finding]:
    for e in snapshot.entries:
        if e.origin != "amendment" or e.code is None or e.namespace != RANGED_NAMESPACE:
            continue
        if not e.ranges:
            yield finding(
                "amendment.outside_declared_ranges",
                f"The amended code {e.code} ({e.slug}) lies in no declared range.",
                codes=(e.code,),
                sections=(e.service,),
            )
        elif all(r.service != e.service for r in e.ranges):
            yield finding(
                "amendment.in_other_service_range",
                f"The amended code {e.code} ({e.slug}) lies in {describe_ranges(e.ranges)}, "
                f"declared for another service than {e.service}.",
                codes=(e.code,),
                sections=(e.service,),
                ranges=e.ranges,
            )


def _unknown_services(snapshot: Snapshot) -> Iterator[Finding]:
    known = _known_services(snapshot)
    amendments = snapshot.head.amendments
    for kind, items in (("entry", amendments.entries), ("note", amendments.notes)):
        for item in items:
            if item.service not in known:
                yield finding(
                    "amendment.unknown_service",
                    f"The amended {kind} {item.service}_{item.name} names the service "
                    f"{item.service}, which is neither a section of the page nor an amended "
                    "service.",
                    codes=(item.code,) if item.code is not None else (),
                    sections=(item.service,),
                )


def _notes(snapshot: Snapshot) -> Iterator[Finding]:
    documented = {(e.service, e.code, e.name) for e in snapshot.entries}
    for n in snapshot.head.amendments.notes:
        if (n.service, n.code, n.name) not in documented:
            yield finding(
                "amendment.note_without_entry",
                f"A note is about {n.service} {n.code} {n.name}, which neither the page nor "
                "the amendments document.",
                codes=(n.code,),
                sections=(n.service,),
            )
        if n.superseded_by is not None and n.superseded_by not in snapshot.by_code:
            yield finding(
                "amendment.superseded_by_unknown",
                f"The note on {n.service} {n.code} {n.name} says it is superseded by "
                f"{n.superseded_by}, which no entry documents.",
                codes=(n.code, n.superseded_by),
                sections=(n.service,),
            )


AMENDMENT_CHECKS = (_amended_against_page, _amended_ranges, _unknown_services, _notes)
