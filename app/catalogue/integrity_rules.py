"""The integrity rules (``RULES``: id, severity, summary; docs/integrity.md explains each) and the
shapes of a report: what every check, the page's and the amendments', produces. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import msgspec

from app.catalogue.model import RangeRef

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


def finding(
    rule: str,
    message: str,
    *,
    codes: Iterable[int] = (),
    sections: Iterable[str] = (),
    ranges: Iterable[RangeRef] = (),
) -> Finding:
    """A finding of ``rule``, with the severity the rule table gives it."""
    return Finding(
        rule=rule,
        severity=SEVERITY_OF[rule],
        codes=tuple(codes),
        sections=tuple(sections),
        ranges=tuple(ranges),
        message=message,
    )
