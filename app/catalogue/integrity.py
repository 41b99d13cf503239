"""The integrity report: every place where the loaded catalogue contradicts itself. Pure functions.

(One module of ~570 lines, on purpose: a third of it is this description of the rules, the rest
is the rule table and one short check per rule, each reading like the rule it implements; the
checks share the same few helpers and are read together when the page is reviewed. Split by
rule family they would scatter one report over files that each make sense only with the others.)

The page has three sources of truth that should agree and often do not: the "Error Code Ranges"
list (the *declared ranges*, ``snapshot.ranges``), the range printed in each section heading
(the *heading range*, ``Section.range_start``/``range_end``) and the codes in the tables. Each
rule below checks one kind of disagreement and gives a stable, dotted ``rule`` id that clients
and tests can rely on.

Scope: the range list governs the platform's code system only. Thermos's own codes (namespace
``thermos``, 1-6, no heading range) are a separate system, so every range rule looks at platform
sections and entries only (as ``query.build_snapshot`` does); the duplicate rules compare codes
within one namespace; the name/status convention applies to every entry.

Severities. *error*: the page says two incompatible things, so a client acting on one
of them is misled. *warning*: the page is incomplete or breaks a naming convention, but nothing
it says is contradicted. *info*: worth knowing, often deliberate.

Rules (severity in brackets):

- ``code.duplicate_in_section`` [error]: one section documents one code in several rows, under
  different names. One finding per section and code.
- ``code.duplicate_across_sections`` [error]: one code is documented in several sections of one
  namespace. One finding per set of sections, listing every code they share.
- ``entry.outside_heading_range`` [error]: an entry's code lies outside the range printed in its
  own section's heading. One finding per section.
- ``entry.outside_declared_ranges`` [warning]: an entry's code lies in no declared range. One
  finding per section.
- ``entry.in_other_service_range`` [error]: an entry's code lies in declared ranges and none of
  them is declared for its own section, so range resolution names the wrong service. One
  finding per section and set of ranges. (A code in its own range *and* another's is quiet
  here: ``range.overlap`` reports the two ranges.)
- ``entry.name_status_mismatch`` [warning]: an entry's name spells an HTTP status its status
  contradicts (the table is ``NAME_STATUS_CONVENTIONS``). One finding per entry.
- ``section.range_undeclared`` [warning]: a heading prints a range and the range list has no
  line labelled with that section's name.
- ``section.range_differs_from_declared`` [error]: the range list has lines labelled with the
  section's name, none with the bounds its heading prints.
- ``section.range_overlaps_declared`` [error]: a heading range that is not itself one of the
  section's declared ranges overlaps a range declared for another service. One finding per
  pair. (A heading equal to its own declared range overlaps only what that declared range
  overlaps, which ``range.overlap`` reports once.)
- ``range.overlap`` [error]: two declared ranges share numbers. One finding per pair.
- ``range.no_section`` [warning]: a declared range's label names no platform section.
- ``range.no_entries`` [info]: no documented platform entry's code lies in a declared range. A
  reserved range is normal; on this page it is the trace of a table printed under the wrong
  heading.
- ``range.no_own_entries`` [warning]: a declared range holds documented entries, but none of
  the section it is declared for. Only checked when that section exists (otherwise
  ``range.no_section`` says it all).
- ``range.gap`` [info]: numbers between two declared ranges (taken in order of their start)
  that no declared range covers. Numbers below the first and above the last range are not gaps.

Amendments (errcat's additions to the page, docs/amendments.md) have rules of their own,
``amendment.*``, listed in the table below and checked in ``app.catalogue.integrity_amendments``;
every rule above looks at the page alone.

Findings are sorted by rule, then by their first code (or, for findings about ranges only, the
first range's start), then by sections, so two reports of one catalogue are identical.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Literal

import msgspec

from app.catalogue.model import Entry, RangeRef, Section, Snapshot
from app.catalogue.query import RANGED_NAMESPACE, describe_ranges, entries_in_range

Severity = Literal["error", "warning", "info"]


class Rule(msgspec.Struct, frozen=True):
    """One integrity rule: its stable id, its severity and what it checks."""

    id: str
    severity: Severity
    summary: str


RULES: tuple[Rule, ...] = (
    Rule(
        "code.duplicate_in_section",
        "error",
        "A section documents one code number in several rows, under different names.",
    ),
    Rule(
        "code.duplicate_across_sections",
        "error",
        "One code number is documented in several sections of the same namespace.",
    ),
    Rule(
        "entry.outside_heading_range",
        "error",
        "An entry's code lies outside the range printed in its own section's heading.",
    ),
    Rule(
        "entry.outside_declared_ranges",
        "warning",
        "An entry's code lies in no range of the range list.",
    ),
    Rule(
        "entry.in_other_service_range",
        "error",
        "An entry's code lies only in ranges the range list declares for other services.",
    ),
    Rule(
        "entry.name_status_mismatch",
        "warning",
        "An entry's name conventionally means one HTTP status and it has another.",
    ),
    Rule(
        "section.range_undeclared",
        "warning",
        "A section heading prints a range but the range list has no line for that section.",
    ),
    Rule(
        "section.range_differs_from_declared",
        "error",
        "A section heading prints a range other than the one the range list declares for it.",
    ),
    Rule(
        "section.range_overlaps_declared",
        "error",
        "A section heading's range overlaps a range the range list declares for another service.",
    ),
    Rule("range.overlap", "error", "Two ranges of the range list share numbers."),
    Rule("range.no_section", "warning", "A declared range names a service that has no section."),
    Rule("range.no_entries", "info", "No documented entry's code lies in a declared range."),
    Rule(
        "range.no_own_entries",
        "warning",
        "A declared range holds entries, but none of the service it is declared for.",
    ),
    Rule("range.gap", "info", "Numbers between two declared ranges that no range covers."),
    # Amendments (checked in app.catalogue.integrity_amendments; docs/amendments.md)
    Rule(
        "amendment.conflicts_with_page",
        "error",
        "An amended entry has a page entry's identity and another status.",
    ),
    Rule("amendment.duplicates_page", "warning", "An amended entry repeats a page entry."),
    Rule(
        "amendment.outside_declared_ranges",
        "warning",
        "An amended code lies in no declared range.",
    ),
    Rule(
        "amendment.in_other_service_range",
        "warning",
        "An amended code lies only in ranges declared for other services.",
    ),
    Rule(
        "amendment.unknown_service",
        "error",
        "An amendment names a service that is neither a page section nor an amended service.",
    ),
    Rule(
        "amendment.note_without_entry",
        "error",
        "A note names an entry that neither the page nor the amendments document.",
    ),
    Rule(
        "amendment.superseded_by_unknown",
        "error",
        "A note's superseded_by is a code that no entry documents.",
    ),
)

SEVERITY_OF: dict[str, Severity] = {rule.id: rule.severity for rule in RULES}


class NameConvention(msgspec.Struct, frozen=True):
    """A name ending in ``suffix`` (optionally followed by ``Error``) means a status in
    ``low``-``high``."""

    suffix: str
    low: int
    high: int

    def ending(self, name: str) -> str | None:
        """The ending of ``name`` that this convention recognises, if any."""
        return next((e for e in (self.suffix + "Error", self.suffix) if name.endswith(e)), None)

    def matches(self, name: str) -> bool:
        return self.ending(name) is not None

    def allows(self, status: int) -> bool:
        return self.low <= status <= self.high

    def expected(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}-{self.high}"


# Only names that spell out an HTTP reason phrase (plus ``AlreadyExists``, which is 409 by wide
# convention) are checked: such a name promises a status. Names that do not, such as
# ``Unreachable`` (500), ``BadState`` (422) or ``ValidationError``, are left alone.
# ``InternalServerError`` accepts any 5xx: it is the generic server-side failure.
NAME_STATUS_CONVENTIONS: tuple[NameConvention, ...] = (
    NameConvention("BadRequest", 400, 400),
    NameConvention("Unauthorized", 401, 401),
    NameConvention("Forbidden", 403, 403),
    NameConvention("NotFound", 404, 404),
    NameConvention("AlreadyExists", 409, 409),
    NameConvention("Conflict", 409, 409),
    NameConvention("Gone", 410, 410),
    NameConvention("TooManyRequests", 429, 429),
    NameConvention("InternalServerError", 500, 599),
    NameConvention("NotImplemented", 501, 501),
    NameConvention("ServiceUnavailable", 503, 503),
)


class Finding(msgspec.Struct, frozen=True):
    """One contradiction or gap in the catalogue."""

    rule: str
    severity: Severity
    codes: tuple[int, ...]
    sections: tuple[str, ...]  # printed section (service) names
    ranges: tuple[RangeRef, ...]  # heading ranges carry their section's name as ``service``
    message: str


class SeverityCounts(msgspec.Struct, frozen=True):
    error: int
    warning: int
    info: int


class IntegrityReport(msgspec.Struct, frozen=True):
    """Every finding of one catalogue; ``ok`` when none is an error."""

    ok: bool
    total: int
    counts: SeverityCounts
    findings: tuple[Finding, ...]


def integrity_report(snapshot: Snapshot) -> IntegrityReport:
    """The page's rules over the page alone, then the amendments' rules over the whole."""
    from app.catalogue.integrity_amendments import AMENDMENT_CHECKS, page_only

    page = page_only(snapshot)
    findings = sorted(
        [
            *(finding for check in _CHECKS for finding in check(page)),
            *(finding for check in AMENDMENT_CHECKS for finding in check(snapshot)),
        ],
        key=_finding_order,
    )
    by_severity = {severity: 0 for severity in ("error", "warning", "info")}
    for finding in findings:
        by_severity[finding.severity] += 1
    return IntegrityReport(
        ok=by_severity["error"] == 0,
        total=len(findings),
        counts=SeverityCounts(**by_severity),
        findings=tuple(findings),
    )


# --- helpers ---------------------------------------------------------------------------------


def _finding(
    rule: str,
    message: str,
    *,
    codes: Iterable[int] = (),
    sections: Iterable[str] = (),
    ranges: Iterable[RangeRef] = (),
) -> Finding:
    return Finding(
        rule=rule,
        severity=SEVERITY_OF[rule],
        codes=tuple(codes),
        sections=tuple(sections),
        ranges=tuple(ranges),
        message=message,
    )


def _finding_order(finding: Finding) -> tuple[object, ...]:
    if finding.codes:
        position = finding.codes[0]
    elif finding.ranges:
        position = finding.ranges[0].start
    else:
        position = -1
    return (
        finding.rule,
        position,
        finding.sections,
        tuple((r.start, r.end, r.service) for r in finding.ranges),
        finding.message,
    )


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
            yield _finding(
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
        yield _finding(
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
            yield _finding(
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
            yield _finding(
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
            yield _finding(
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
                yield _finding(
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
            yield _finding(
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
        yield _finding(
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
                yield _finding(
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
                yield _finding(
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
            yield _finding(
                "range.no_section",
                f"The range list declares {_range_text(declared)} for {declared.service}, "
                "but the page has no section of that name.",
                sections=(declared.service,),
                ranges=(declared,),
            )


def _declared_ranges_without_entries(snapshot: Snapshot) -> Iterator[Finding]:
    for declared in snapshot.ranges:
        if not entries_in_range(snapshot, declared):
            yield _finding(
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
        yield _finding(
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
            yield _finding(
                "range.gap",
                f"No declared range covers {low}-{high}, between {_range_text(furthest)} "
                f"({furthest.service}) and {_range_text(following)} ({following.service}).",
                ranges=(furthest, following),
            )
        if following.end > furthest.end:
            furthest = following


_CHECKS = (
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
