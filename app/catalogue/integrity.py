"""The integrity report: every place where the loaded catalogue contradicts itself. Pure.

The page's rules (``integrity_page``) look at the page alone, the amendments' rules
(``integrity_amendments``) at the whole; docs/integrity.md lists every rule. Findings are sorted
so that two reports of one catalogue are identical.
"""

from __future__ import annotations

from app.catalogue.integrity_amendments import AMENDMENT_CHECKS, page_only
from app.catalogue.integrity_page import PAGE_CHECKS
from app.catalogue.integrity_rules import Finding, IntegrityReport, SeverityCounts
from app.catalogue.model import Snapshot


def integrity_report(snapshot: Snapshot) -> IntegrityReport:
    """The page's rules over the page alone, then the amendments' rules over the whole."""
    page = page_only(snapshot)
    findings = sorted(
        [
            *(finding for check in PAGE_CHECKS for finding in check(page)),
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
