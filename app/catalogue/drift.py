"""Drift between what errors are seen (observations) and what the catalogue says. Pure.

``drift(snapshot, observations)`` sorts every observed (code, slug, status) against the
catalogue into five lists: ``unknown_codes``, ``unknown_slugs``, ``slug_mismatches``,
``status_mismatches``, ``never_seen`` (docs/observations.md says what each holds). An
observation names entries the way the decoder matches them: by its slug when the slug names
any, else by its code, narrowed to the entries with the observed status when some have it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec

from app.catalogue.model import CatalogueVersion, Entry, RangeRef, Snapshot
from app.catalogue.query import find_by_slug, lookup, ranges_containing


class Observation(msgspec.Struct, frozen=True):
    """How often one (code, slug, status, confidence) was seen, first and last (UTC)."""

    code: int | None
    slug: str | None
    status: int | None
    confidence: str  # the decoder's: exact, slug, code, text, none
    count: int
    first_seen: datetime
    last_seen: datetime


class CatalogueView(msgspec.Struct, frozen=True):
    """What the catalogue says about an entry, in short (``code`` None: an amendment known by
    its slug only)."""

    code: int | None
    slug: str
    status: int
    service: str
    name: str
    namespace: str


class SeenSlug(msgspec.Struct, frozen=True):
    slug: str
    count: int


class SeenStatus(msgspec.Struct, frozen=True):
    status: int
    count: int


class UnknownCode(msgspec.Struct, frozen=True):
    code: int
    count: int
    first_seen: datetime
    last_seen: datetime
    slugs: tuple[SeenSlug, ...]  # seen with it, most often first
    statuses: tuple[SeenStatus, ...]
    ranges: tuple[RangeRef, ...]  # the catalogue's view: declared ranges it lies in


class UnknownSlug(msgspec.Struct, frozen=True):
    slug: str
    count: int
    first_seen: datetime
    last_seen: datetime
    statuses: tuple[SeenStatus, ...]


class SlugMismatch(msgspec.Struct, frozen=True):
    code: int
    slug: str  # as seen
    count: int
    first_seen: datetime
    last_seen: datetime
    statuses: tuple[SeenStatus, ...]
    catalogue: tuple[CatalogueView, ...]  # the code's entries
    slug_names: tuple[CatalogueView, ...]  # the entries the seen slug names (none: unknown)


class StatusMismatch(msgspec.Struct, frozen=True):
    code: int | None
    slug: str | None
    status: int  # as seen
    count: int
    first_seen: datetime
    last_seen: datetime
    catalogue: tuple[CatalogueView, ...]  # the entries seen, none of which has that status


class DriftReport(msgspec.Struct, frozen=True):
    catalogue: CatalogueVersion
    observations: int  # every observation counted (sum of counts)
    keys: int  # distinct (code, slug, status, confidence) observed
    min_count: int  # items seen fewer times are left out (never_seen is not affected)
    unknown_codes: tuple[UnknownCode, ...]
    unknown_slugs: tuple[UnknownSlug, ...]
    slug_mismatches: tuple[SlugMismatch, ...]
    status_mismatches: tuple[StatusMismatch, ...]
    never_seen: tuple[CatalogueView, ...]


def view(entry: Entry) -> CatalogueView:
    return CatalogueView(
        code=entry.code,
        slug=entry.slug,
        status=entry.status,
        service=entry.service,
        name=entry.name,
        namespace=entry.namespace,
    )


def _identity(entry: Entry) -> tuple[str, str, int | None, str]:
    return (entry.namespace, entry.service, entry.code, entry.name)


@dataclass
class _Tally:
    count: int = 0
    first: datetime | None = None
    last: datetime | None = None
    slugs: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    entries: tuple[Entry, ...] = ()

    def add(self, obs: Observation) -> None:
        self.count += obs.count
        self.first = obs.first_seen if self.first is None else min(self.first, obs.first_seen)
        self.last = obs.last_seen if self.last is None else max(self.last, obs.last_seen)
        if obs.slug:
            self.slugs[obs.slug] += obs.count
        if obs.status is not None:
            self.statuses[obs.status] += obs.count

    def seen_slugs(self) -> tuple[SeenSlug, ...]:
        ranked = sorted(self.slugs.items(), key=lambda kv: (-kv[1], kv[0]))
        return tuple(SeenSlug(s, n) for s, n in ranked)

    def seen_statuses(self) -> tuple[SeenStatus, ...]:
        ranked = sorted(self.statuses.items(), key=lambda kv: (-kv[1], kv[0]))
        return tuple(SeenStatus(s, n) for s, n in ranked)


def resolve(snap: Snapshot, obs: Observation) -> tuple[Entry, ...]:
    """The entries an observation names: by slug, else by code; narrowed by its status."""
    found = (find_by_slug(snap, obs.slug) if obs.slug else ()) or (
        lookup(snap, obs.code) if obs.code is not None else ()
    )
    if obs.status is not None:
        same = tuple(e for e in found if e.status == obs.status)
        found = same or found
    return found


def drift(snap: Snapshot, observations: Iterable[Observation], min_count: int = 1) -> DriftReport:
    unknown_codes: dict[int, _Tally] = {}
    unknown_slugs: dict[str, _Tally] = {}
    slug_mismatches: dict[tuple[int, str], _Tally] = {}
    status_mismatches: dict[tuple[int | None, str | None, int], _Tally] = {}
    seen: set[tuple[str, str, int | None, str]] = set()
    total = keys = 0
    for obs in observations:
        total += obs.count
        keys += 1
        by_code = lookup(snap, obs.code) if obs.code is not None else ()
        by_slug = find_by_slug(snap, obs.slug) if obs.slug else ()
        if obs.code is not None and not by_code:
            unknown_codes.setdefault(obs.code, _Tally()).add(obs)
        elif obs.code is None and obs.slug and not by_slug:
            unknown_slugs.setdefault(obs.slug, _Tally()).add(obs)
        if (
            by_code
            and obs.code is not None
            and obs.slug
            and not any(e.slug.lower() == obs.slug.lower() for e in by_code)
        ):
            tally = slug_mismatches.setdefault((obs.code, obs.slug), _Tally(entries=by_slug))
            tally.add(obs)
        named = resolve(snap, obs)
        seen.update(_identity(e) for e in named)
        if named and obs.status is not None and all(e.status != obs.status for e in named):
            key = (obs.code, obs.slug, obs.status)
            status_mismatches.setdefault(key, _Tally(entries=named)).add(obs)

    # Any: the keys differ per report, and a kept tally has added an observation, so its
    # first/last (None only before the first add) are set.
    def kept(tallies: dict[Any, _Tally]) -> list[tuple[Any, Any]]:
        return sorted(
            ((k, t) for k, t in tallies.items() if t.count >= min_count),
            key=lambda kt: (-kt[1].count, repr(kt[0])),
        )

    return DriftReport(
        catalogue=snap.version,
        observations=total,
        keys=keys,
        min_count=min_count,
        unknown_codes=tuple(
            UnknownCode(
                code=code,
                count=t.count,
                first_seen=t.first,
                last_seen=t.last,
                slugs=t.seen_slugs(),
                statuses=t.seen_statuses(),
                ranges=ranges_containing(snap, code),
            )
            for code, t in kept(unknown_codes)
        ),
        unknown_slugs=tuple(
            UnknownSlug(
                slug=slug,
                count=t.count,
                first_seen=t.first,
                last_seen=t.last,
                statuses=t.seen_statuses(),
            )
            for slug, t in kept(unknown_slugs)
        ),
        slug_mismatches=tuple(
            SlugMismatch(
                code=code,
                slug=slug,
                count=t.count,
                first_seen=t.first,
                last_seen=t.last,
                statuses=t.seen_statuses(),
                catalogue=tuple(view(e) for e in lookup(snap, code)),
                slug_names=tuple(view(e) for e in t.entries),
            )
            for (code, slug), t in kept(slug_mismatches)
        ),
        status_mismatches=tuple(
            StatusMismatch(
                code=code,
                slug=slug,
                status=status,
                count=t.count,
                first_seen=t.first,
                last_seen=t.last,
                catalogue=tuple(view(e) for e in t.entries),
            )
            for (code, slug, status), t in kept(status_mismatches)
        ),
        never_seen=tuple(view(e) for e in snap.entries if _identity(e) not in seen),
    )
