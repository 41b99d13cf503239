"""The integrity rules about the page alone: where its range list, its section headings and its
tables disagree (docs/integrity.md lists each rule). ``PAGE_CHECKS`` holds one check per rule,
each yielding its findings. Pure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

from app.catalogue.integrity_rules import NAME_STATUS_CONVENTIONS, Finding, finding
from app.catalogue.model import Entry, RangeRef, Section, Snapshot
from app.catalogue.names import RANGED_NAMESPACE
from app.catalogue.query import describe_ranges, entries_in_range

# --- helpers ---------------------------------------------------------------------------------


def _codes_text(codes: Iterable[int]) -> str:
    return ", ".join(str(code) for code in codes)


def _range_text(rng: RangeRef) -> str:
    return f"{rng.start}-{rng.end}"


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


def _heading_range(section: Section) -> RangeRef | None:
    if section.range_start is None or section.range_end is None:
        return None
    return RangeRef(start=section.range_start, end=section.range_end, service=section.name)


def _ranged_sections(snapshot: Snapshot) -> list[Section]:
    return [s for s in snapshot.sections if s.namespace == RANGED_NAMESPACE]


def _overlap(a: RangeRef, b: RangeRef) -> bool:
    return a.start <= b.end and b.start <= a.end


def _unique_codes(entries: Iterable[Entry]) -> tuple[int, ...]:
    return tuple(sorted({e.code for e in entries if e.code is not None}))


# --- code rules ------------------------------------------------------------------------------


def _duplicates_in_section(snapshot: Snapshot) -> Iterator[Finding]:
    for section in snapshot.sections:
        rows_by_code: dict[int, list[Entry]] = defaultdict(list)
        for entry in section.entries:
            if entry.code is not None:  # numberless amendments have their own rules
                rows_by_code[entry.code].append(entry)
        for code, rows in sorted(rows_by_code.items()):
            if len(rows) < 2:
                continue
            meanings = _and([f"{e.name} ({e.status})" for e in rows])
            yield finding(
                "code.duplicate_in_section",
                f"{section.name} documents code {code} in {len(rows)} rows, as {meanings}; "
                f"a client that receives {code} cannot tell which is meant.",
                codes=(code,),
                sections=(section.name,),
            )


def _duplicates_across_sections(snapshot: Snapshot) -> Iterator[Finding]:
    page_order = {(s.namespace, s.name): i for i, s in enumerate(snapshot.sections)}
    sections_by_code: dict[tuple[str, int], dict[str, list[str]]] = defaultdict(dict)
    for section in snapshot.sections:
        for entry in section.entries:
            if entry.code is None:
                continue
            names = sections_by_code[(section.namespace, entry.code)].setdefault(section.name, [])
            names.append(entry.name)
    # Group the shared codes by the set of sections sharing them: one finding per clash.
    clashes: dict[tuple[str, tuple[str, ...]], list[tuple[int, dict[str, list[str]]]]] = (
        defaultdict(list)
    )
    for (namespace, code), names_by_section in sorted(sections_by_code.items()):
        if len(names_by_section) < 2:
            continue
        sections = tuple(sorted(names_by_section, key=lambda n: page_order[(namespace, n)]))
        clashes[(namespace, sections)].append((code, names_by_section))
    for (_namespace, sections), shared in clashes.items():
        codes = [code for code, _ in shared]
        meanings = "; ".join(
            f"{code} is " + _and(["/".join(names[s]) + f" in {s}" for s in sections])
            for code, names in shared
        )
        yield finding(
            "code.duplicate_across_sections",
            f"{_and(list(sections))} {'both' if len(sections) == 2 else 'all'} document "
            f"{_plural(len(codes), 'code', 'codes')} {_codes_text(codes)} ({meanings}); "
            "a client that receives one of these codes cannot tell which service it is from.",
            codes=codes,
            sections=sections,
        )


# --- entry rules -----------------------------------------------------------------------------


def _entries_outside_heading_range(snapshot: Snapshot) -> Iterator[Finding]:
    for section in _ranged_sections(snapshot):
        heading = _heading_range(section)
        if heading is None:
            continue
        outside = _unique_codes(
            e
            for e in section.entries
            if e.code is not None and not heading.start <= e.code <= heading.end
        )
        if outside:
            yield finding(
                "entry.outside_heading_range",
                f"{section.name}'s heading prints the range {_range_text(heading)}, but "
                f"{_plural(len(outside), 'its entry', 'its entries')} {_codes_text(outside)} "
                f"{_plural(len(outside), 'lies', 'lie')} outside it.",
                codes=outside,
                sections=(section.name,),
                ranges=(heading,),
            )


def _entries_outside_declared_ranges(snapshot: Snapshot) -> Iterator[Finding]:
    for section in _ranged_sections(snapshot):
        outside = _unique_codes(e for e in section.entries if not e.ranges)
        if outside:
            yield finding(
                "entry.outside_declared_ranges",
                f"{section.name}'s {_plural(len(outside), 'entry', 'entries')} "
                f"{_codes_text(outside)} {_plural(len(outside), 'lies', 'lie')} in no declared "
                "range, so resolving by range finds no service for "
                f"{_plural(len(outside), 'it', 'them')}.",
                codes=outside,
                sections=(section.name,),
            )


def _entries_in_other_service_range(snapshot: Snapshot) -> Iterator[Finding]:
    for section in _ranged_sections(snapshot):
        codes_by_ranges: dict[tuple[RangeRef, ...], set[int]] = defaultdict(set)
        for entry in section.entries:
            if (
                entry.code is not None
                and entry.ranges
                and all(r.service != section.name for r in entry.ranges)
            ):
                codes_by_ranges[entry.ranges].add(entry.code)
        for ranges, code_set in codes_by_ranges.items():
            codes = sorted(code_set)
            owners = list(dict.fromkeys(r.service for r in ranges))
            where = (
                f"{_range_text(ranges[0])}, which the range list declares for {owners[0]}"
                if len(ranges) == 1
                else f"{describe_ranges(ranges)}, ranges the list declares for other services"
            )
            yield finding(
                "entry.in_other_service_range",
                f"{section.name}'s {_plural(len(codes), 'entry', 'entries')} {_codes_text(codes)} "
                f"{_plural(len(codes), 'lies', 'lie')} in {where}, so resolving "
                f"{_plural(len(codes), 'it', 'them')} by range names the wrong service.",
                codes=codes,
                sections=(section.name, *owners),
                ranges=ranges,
            )


def _name_status_mismatches(snapshot: Snapshot) -> Iterator[Finding]:
    for entry in snapshot.entries:
        for convention in NAME_STATUS_CONVENTIONS:
            if convention.matches(entry.name) and not convention.allows(entry.status):
                yield finding(
                    "entry.name_status_mismatch",
                    f"{entry.service} {entry.code} {entry.name} has status {entry.status}, but a "
                    f"name ending in {convention.ending(entry.name)} conventionally means "
                    f"{convention.expected()}.",
                    codes=() if entry.code is None else (entry.code,),
                    sections=(entry.service,),
                )
                break


# --- section heading rules -------------------------------------------------------------------


def _section_ranges_undeclared(snapshot: Snapshot) -> Iterator[Finding]:
    for section in _ranged_sections(snapshot):
        heading = _heading_range(section)
        if heading is not None and not section.declared_ranges:
            yield finding(
                "section.range_undeclared",
                f"{section.name}'s heading prints the range {_range_text(heading)}, but the "
                f"range list has no line for {section.name}.",
                sections=(section.name,),
                ranges=(heading,),
            )


def _section_ranges_differing(snapshot: Snapshot) -> Iterator[Finding]:
    for section in _ranged_sections(snapshot):
        heading = _heading_range(section)
        if heading is None or not section.declared_ranges or heading in section.declared_ranges:
            continue
        yield finding(
            "section.range_differs_from_declared",
            f"{section.name}'s heading prints the range {_range_text(heading)}, but the range "
            f"list declares {describe_ranges(section.declared_ranges)} for it.",
            sections=(section.name,),
            ranges=(heading, *section.declared_ranges),
        )


def _section_ranges_overlapping(snapshot: Snapshot) -> Iterator[Finding]:
    for section in _ranged_sections(snapshot):
        heading = _heading_range(section)
        # A heading that is one of its section's declared ranges overlaps only what that
        # declared range overlaps: range.overlap reports it once.
        if heading is None or heading in section.declared_ranges:
            continue
        for declared in snapshot.ranges:
            if declared.service != section.name and _overlap(heading, declared):
                yield finding(
                    "section.range_overlaps_declared",
                    f"{section.name}'s heading range {_range_text(heading)} overlaps "
                    f"{_range_text(declared)}, which the range list declares for "
                    f"{declared.service}.",
                    sections=(section.name, declared.service),
                    ranges=(heading, declared),
                )


# --- declared range rules --------------------------------------------------------------------


def _declared_ranges_overlapping(snapshot: Snapshot) -> Iterator[Finding]:
    ranges = snapshot.ranges
    for i, first in enumerate(ranges):
        for second in ranges[i + 1 :]:
            if _overlap(first, second):
                yield finding(
                    "range.overlap",
                    f"The range list declares {_range_text(first)} for {first.service} and "
                    f"{_range_text(second)} for {second.service}; they share numbers.",
                    sections=(first.service, second.service),
                    ranges=(first, second),
                )


def _declared_ranges_without_section(snapshot: Snapshot) -> Iterator[Finding]:
    section_names = {s.name for s in _ranged_sections(snapshot)}
    for declared in snapshot.ranges:
        if declared.service not in section_names:
            yield finding(
                "range.no_section",
                f"The range list declares {_range_text(declared)} for {declared.service}, "
                "but the page has no section of that name.",
                sections=(declared.service,),
                ranges=(declared,),
            )


def _declared_ranges_without_entries(snapshot: Snapshot) -> Iterator[Finding]:
    for declared in snapshot.ranges:
        if not entries_in_range(snapshot, declared):
            yield finding(
                "range.no_entries",
                f"No documented entry has a code in {_range_text(declared)}, the range "
                f"declared for {declared.service}.",
                sections=(declared.service,),
                ranges=(declared,),
            )


def _declared_ranges_without_own_entries(snapshot: Snapshot) -> Iterator[Finding]:
    section_names = {s.name for s in _ranged_sections(snapshot)}
    for declared in snapshot.ranges:
        # Without a section of its name, range.no_section has already said it all.
        if declared.service not in section_names:
            continue
        inside = entries_in_range(snapshot, declared)
        if not inside or any(e.service == declared.service for e in inside):
            continue
        others = list(dict.fromkeys(e.service for e in inside))
        codes = _unique_codes(inside)
        yield finding(
            "range.no_own_entries",
            f"The range list declares {_range_text(declared)} for {declared.service}, but it "
            f"holds only {_and(others)}'s {_plural(len(codes), 'entry', 'entries')} "
            f"{_codes_text(codes)} and none of {declared.service}'s.",
            codes=codes,
            sections=(declared.service, *others),
            ranges=(declared,),
        )


def _declared_range_gaps(snapshot: Snapshot) -> Iterator[Finding]:
    ordered = sorted(snapshot.ranges, key=lambda r: (r.start, r.end))
    if not ordered:
        return
    # The range reaching furthest so far: an earlier, longer range may cover a later one.
    furthest = ordered[0]
    for following in ordered[1:]:
        if following.start > furthest.end + 1:
            low, high = furthest.end + 1, following.start - 1
            yield finding(
                "range.gap",
                f"No declared range covers {low}-{high}, between {_range_text(furthest)} "
                f"({furthest.service}) and {_range_text(following)} ({following.service}).",
                ranges=(furthest, following),
            )
        if following.end > furthest.end:
            furthest = following


PAGE_CHECKS = (
    _duplicates_in_section,
    _duplicates_across_sections,
    _entries_outside_heading_range,
    _entries_outside_declared_ranges,
    _entries_in_other_service_range,
    _name_status_mismatches,
    _section_ranges_undeclared,
    _section_ranges_differing,
    _section_ranges_overlapping,
    _declared_ranges_overlapping,
    _declared_ranges_without_section,
    _declared_ranges_without_entries,
    _declared_ranges_without_own_entries,
    _declared_range_gaps,
)
