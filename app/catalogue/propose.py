"""``errcat propose``: a DRAFT of catalogue amendments from the drift. Pure.

The draft has the amendments file's shape and every item says where it came from (``"seen_in":
"observed by errcat: N times between FIRST and LAST"``); what becomes what, and what is
``skipped``, is in docs/observations.md. It is for a person to review, complete and add to
seeds/amendments.json: nothing here writes to the catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from app.catalogue.drift import DriftReport
from app.catalogue.model import Snapshot
from app.catalogue.names import slug_service

DESCRIPTION_TODO = "DRAFT: describe this error before seeding (observed by errcat; not on the page)"


@dataclass
class Proposal:
    draft: dict[str, Any]
    skipped: list[str] = field(default_factory=list)


def provenance(count: int, first: datetime, last: datetime) -> dict[str, Any]:
    times = "once" if count == 1 else f"{count} times"
    return {
        "seen_in": (
            f"observed by errcat: {times} between {first.date().isoformat()} and "
            f"{last.date().isoformat()}"
        ),
        "url": None,
        "seen": last.date().isoformat(),
    }


def known_services(snap: Snapshot) -> dict[str, tuple[str, str]]:
    """Slug prefix in lower case -> (namespace, the section's printed name)."""
    return {slug_service(s.name).lower(): (s.namespace, s.name) for s in snap.sections}


def split_slug(snap: Snapshot, slug: str) -> tuple[str, str, bool]:
    """``Service_Name`` -> (service, name, known): the longest known service prefix, else the
    part before the last underscore (a service the catalogue does not have)."""
    services = known_services(snap)
    cuts = [i for i, ch in enumerate(slug) if ch == "_"]
    for cut in reversed(cuts):
        found = services.get(slug[:cut].lower())
        if found is not None and slug[cut + 1 :]:
            return found[1], slug[cut + 1 :], True
    if not cuts:
        return "", slug, False
    return slug[: cuts[-1]], slug[cuts[-1] + 1 :], False


def propose(snap: Snapshot, report: DriftReport, *, today: date) -> Proposal:
    skipped: list[str] = []
    entries: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    new_services: dict[str, list[Any]] = {}  # name -> [count, first, last]

    def new_entry(
        code: int | None,
        slug: str,
        status: int | None,
        count: int,
        first: datetime,
        last: datetime,
    ) -> None:
        service, name, known = split_slug(snap, slug)
        if not service:
            skipped.append(f"slug {slug} has no Service_ part; name it by hand")
            return
        if not known:
            tally = new_services.setdefault(service, [0, first, last])
            tally[0] += count
            tally[1], tally[2] = min(tally[1], first), max(tally[2], last)
        entries.append(
            {
                "code": code,
                "service": service,
                "name": name,
                "status": status,
                "description": DESCRIPTION_TODO,
                "action": None,
                "provenance": provenance(count, first, last),
            }
        )

    for item in report.unknown_codes:
        if not item.slugs:
            skipped.append(
                f"code {item.code}: seen {item.count} times, never with a slug; name it by hand"
            )
            continue
        status = item.statuses[0].status if item.statuses else None
        slug = item.slugs[0].slug
        if len(item.slugs) > 1:
            others = ", ".join(s.slug for s in item.slugs[1:])
            skipped.append(f"code {item.code}: drafted as {slug}; also seen as {others}")
        new_entry(item.code, slug, status, item.count, item.first_seen, item.last_seen)
    for item in report.unknown_slugs:
        status = item.statuses[0].status if item.statuses else None
        new_entry(None, item.slug, status, item.count, item.first_seen, item.last_seen)
    for entry in entries:
        if entry["status"] is None:
            skipped.append(
                f"{entry['service']}_{entry['name']}: no status was seen; fill in its status"
            )

    for item in report.status_mismatches:
        seen = provenance(item.count, item.first_seen, item.last_seen)
        for e in item.catalogue:
            notes.append(
                {
                    "code": e.code,
                    "service": e.service,
                    "name": e.name,
                    "note": (
                        f"Observed with HTTP status {item.status}"
                        + (f" (slug {item.slug})" if item.slug else "")
                        + f"; the catalogue gives {e.status}."
                    ),
                    "superseded_by": None,
                    "action": None,
                    "provenance": seen,
                }
            )
    for item in report.slug_mismatches:
        seen = provenance(item.count, item.first_seen, item.last_seen)
        elsewhere = (
            "which the catalogue gives to "
            + " and ".join(f"{v.slug} ({v.code})" for v in item.slug_names)
            if item.slug_names
            else "which the catalogue does not list"
        )
        for e in item.catalogue:
            notes.append(
                {
                    "code": e.code,
                    "service": e.service,
                    "name": e.name,
                    "note": f"Observed code {item.code} with slug {item.slug}, {elsewhere}.",
                    "superseded_by": None,
                    "action": None,
                    "provenance": seen,
                }
            )

    services = [
        {"namespace": "platform", "name": name, "provenance": provenance(*tally)}
        for name, tally in sorted(new_services.items())
    ]
    source = (
        f"DRAFT by errcat propose on {today.isoformat()} from errors observed by errcat "
        f"(catalogue revision {report.catalogue.revision}): review every item, describe the "
        "entries, then add what holds to seeds/amendments.json"
    )
    return Proposal(
        draft={
            "source": source,
            "services": services,
            "ranges": [],
            "entries": entries,
            "notes": notes,
        },
        skipped=skipped,
    )
