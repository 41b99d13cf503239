"""The integrity report: the exact findings on the seeded page; each rule on small catalogues."""

from __future__ import annotations

import msgspec
import pytest

from app.catalogue.build import build_snapshot
from app.catalogue.integrity import integrity_report
from app.catalogue.integrity_rules import NAME_STATUS_CONVENTIONS, RULES, IntegrityReport
from app.catalogue.model import (
    CatalogueDocument,
    CatalogueVersion,
    CodeRow,
    DeclaredRange,
    SectionDoc,
)
from app.seeds import load_seed

VERSION = CatalogueVersion(revision=1, content_hash="0" * 64, loaded_at="2026-01-01T00:00:00+00:00")
SEED = load_seed()


def report_of(doc: CatalogueDocument) -> IntegrityReport:
    return integrity_report(build_snapshot(doc, VERSION))


def summarise(report: IntegrityReport) -> list[tuple]:
    """Each finding as (rule, codes, sections, ranges as "start-end service")."""
    return [
        (f.rule, f.codes, f.sections, tuple(f"{r.start}-{r.end} {r.service}" for r in f.ranges))
        for f in report.findings
    ]


def rules_fired(doc: CatalogueDocument) -> set[str]:
    return {f.rule for f in report_of(doc).findings}


# --- the seeded page -------------------------------------------------------------------------

AC, TK, SP = "Auth_Config", "Toolkit", "SecurityProvider"
PROJECT, ACTION = "Project", "ActionExecute"

SEEDED_FINDINGS = [
    ("code.duplicate_across_sections", (1800, 1801, 1802, 1803, 1804), (PROJECT, ACTION), ()),
    ("code.duplicate_in_section", (10503,), ("HTTP",), ()),
    ("entry.in_other_service_range", (300, 301, 302, 303, 304), (AC, TK), ("300-399 Toolkit",)),
    ("entry.in_other_service_range", (400, 401, 402), (TK, SP), ("400-499 SecurityProvider",)),
    ("entry.in_other_service_range", (500, 501, 502, 503), (SP, "MCP"), ("500-599 MCP",)),
    (
        "entry.in_other_service_range",
        (1141, 1142, 1143, 1144, 1145, 1146),
        ("MCP", "Pusher"),
        ("1100-1199 Pusher",),
    ),
    (
        "entry.in_other_service_range",
        (1800, 1801, 1802, 1803, 1804),
        (PROJECT, ACTION),
        ("1800-1899 ActionExecute",),
    ),
    (
        "entry.in_other_service_range",
        (3850, 3851),
        ("Notification", "DebugLogs"),
        ("3800-3899 DebugLogs",),
    ),
    ("entry.name_status_mismatch", (103,), ("Prisma/Database",), ()),  # ResourceNotFound 400
    ("entry.name_status_mismatch", (104,), ("Prisma/Database",), ()),  # AlreadyExists 400
    ("entry.name_status_mismatch", (302,), (AC,), ()),  # NotFound 400
    ("entry.name_status_mismatch", (401,), (TK,), ()),  # ToolkitNotFound 400
    ("entry.name_status_mismatch", (701,), ("Redis",), ()),  # NotFound 400
    ("entry.name_status_mismatch", (1141,), ("MCP",), ()),  # AuthConfigNotFound 400
    ("entry.name_status_mismatch", (1144,), ("MCP",), ()),  # PartnerAlreadyExists 400
    ("entry.name_status_mismatch", (1500,), ("Stripe",), ()),  # UserOrganisationNotFoundError
    ("entry.name_status_mismatch", (1602,), ("Thermos",), ()),  # ServiceUnavailable 500
    ("entry.name_status_mismatch", (1707,), ("Tool_Auth",), ()),  # ResourceNotFound 400
    ("entry.name_status_mismatch", (1803,), (PROJECT,), ()),  # ResourceNotFound 400
    ("entry.name_status_mismatch", (1904,), ("ToolsList",), ()),  # AuthConfigNotFound 400
    ("entry.name_status_mismatch", (2000,), ("TeamMembers",), ()),  # MemberNotFound 400
    ("entry.name_status_mismatch", (2001,), ("TeamMembers",), ()),  # MemberAlreadyExists 400
    ("entry.outside_heading_range", (300, 301, 302, 303, 304), (AC,), ("200-299 Auth_Config",)),
    ("entry.outside_heading_range", (400, 401, 402), (TK,), ("300-399 Toolkit",)),
    ("entry.outside_heading_range", (500, 501, 502, 503), (SP,), ("400-499 SecurityProvider",)),
    (
        "entry.outside_heading_range",
        (1141, 1142, 1143, 1144, 1145, 1146),
        ("MCP",),
        ("500-599 MCP",),
    ),
    ("range.gap", (), (), ("1300-1399 JWT", "1500-1599 Stripe")),
    ("range.gap", (), (), ("2800-2899 ExternalProxy", "3000-3099 Axios")),
    ("range.gap", (), (), ("4100-4199 Sandbox", "10000-10999 HTTP")),
    ("range.no_entries", (), (AC,), ("200-299 Auth_Config",)),
    ("range.no_own_entries", (300, 301, 302, 303, 304), (TK, AC), ("300-399 Toolkit",)),
    ("range.no_own_entries", (400, 401, 402), (SP, TK), ("400-499 SecurityProvider",)),
    ("range.no_own_entries", (500, 501, 502, 503), ("MCP", SP), ("500-599 MCP",)),
    (
        "section.range_overlaps_declared",
        (),
        (PROJECT, ACTION),
        ("1800-1899 Project", "1800-1899 ActionExecute"),
    ),
    (
        "section.range_overlaps_declared",
        (),
        ("Notification", "DebugLogs"),
        ("3850-3899 Notification", "3800-3899 DebugLogs"),
    ),
    ("section.range_undeclared", (), (PROJECT,), ("1800-1899 Project",)),
    ("section.range_undeclared", (), ("Notification",), ("3850-3899 Notification",)),
]


@pytest.fixture(scope="module")
def seeded() -> IntegrityReport:
    return report_of(SEED)


def test_seeded_page_gives_exactly_its_contradictions_in_order(seeded):
    assert summarise(seeded) == SEEDED_FINDINGS


def test_seeded_page_counts(seeded):
    assert seeded.ok is False  # the page contradicts itself: the CLI exits 1
    assert (seeded.counts.error, seeded.counts.warning, seeded.counts.info) == (14, 19, 4)
    assert seeded.total == len(seeded.findings) == 37


def test_seeded_page_thermos_codes_raise_nothing(seeded):
    thermos_codes = set(range(1, 7))
    assert not [f for f in seeded.findings if thermos_codes & set(f.codes)]
    assert not [f for f in seeded.findings if "Database" in f.sections]


def test_seeded_messages_name_what_they_are_about(seeded):
    by_rule = {(f.rule, f.codes[:1] or f.sections[:1]): f.message for f in seeded.findings}
    assert by_rule[("code.duplicate_in_section", (10503,))] == (
        "HTTP documents code 10503 in 2 rows, as ServiceUnavailable (503) and BadState (422); "
        "a client that receives 10503 cannot tell which is meant."
    )
    assert by_rule[("entry.outside_heading_range", (300,))] == (
        "Auth_Config's heading prints the range 200-299, but its entries 300, 301, 302, 303, 304 "
        "lie outside it."
    )
    assert by_rule[("entry.name_status_mismatch", (1500,))] == (
        "Stripe 1500 UserOrganisationNotFoundError has status 400, but a name ending in "
        "NotFoundError conventionally means 404."
    )
    assert by_rule[("section.range_undeclared", ("Project",))] == (
        "Project's heading prints the range 1800-1899, but the range list has no line for Project."
    )
    gaps = [f.message for f in seeded.findings if f.rule == "range.gap"]
    assert gaps[0] == (
        "No declared range covers 1400-1499, between 1300-1399 (JWT) and 1500-1599 (Stripe)."
    )
    assert "4200-9999" in gaps[2]
    assert "1800, 1801, 1802, 1803, 1804" in by_rule[("code.duplicate_across_sections", (1800,))]


def test_every_finding_uses_a_documented_rule_and_its_severity(seeded):
    severity_of = {rule.id: rule.severity for rule in RULES}
    assert len(severity_of) == len(RULES)  # ids are unique
    for finding in seeded.findings:
        assert finding.severity == severity_of[finding.rule]


def test_report_encodes_to_json(seeded):
    decoded = msgspec.json.decode(msgspec.json.encode(seeded))
    assert decoded["ok"] is False
    assert decoded["counts"] == {"error": 14, "warning": 19, "info": 4}
    assert decoded["findings"][0]["rule"] == "code.duplicate_across_sections"
    assert decoded["findings"][2]["ranges"] == [{"start": 300, "end": 399, "service": "Toolkit"}]


def test_report_is_deterministic():
    assert report_of(SEED) == report_of(SEED)


def test_fixing_the_duplicate_row_removes_its_finding():
    sections = tuple(
        msgspec.structs.replace(s, rows=tuple(r for r in s.rows if r.name != "BadState"))
        if s.name == "HTTP"
        else s
        for s in SEED.sections
    )
    fixed = report_of(msgspec.structs.replace(SEED, sections=sections))
    assert "code.duplicate_in_section" not in {f.rule for f in fixed.findings}
    assert fixed.total == 36


def test_declaring_a_missing_range_closes_its_gap_and_reports_the_new_range():
    ranges = (*SEED.ranges, DeclaredRange(start=1400, end=1499, label="Reserved"))
    found = summarise(report_of(msgspec.structs.replace(SEED, ranges=ranges)))
    assert ("range.gap", (), (), ("1300-1399 JWT", "1500-1599 Stripe")) not in found
    assert ("range.no_section", (), ("Reserved",), ("1400-1499 Reserved",)) in found
    assert ("range.no_entries", (), ("Reserved",), ("1400-1499 Reserved",)) in found


# --- small catalogues ------------------------------------------------------------------------


def row(code: int, name: str = "BadRequest", status: int = 400) -> CodeRow:
    return CodeRow(code=code, name=name, status=status, description=f"{name} ({code})")


def section(
    name: str,
    bounds: tuple[int, int] | None,
    *rows: CodeRow,
    namespace: str = "platform",
) -> SectionDoc:
    start, end = bounds if bounds else (None, None)
    heading = f"{name} Errors ({start}-{end})" if bounds else f"{name} Errors"
    return SectionDoc(
        namespace=namespace,
        name=name,
        heading=heading,
        range_start=start,
        range_end=end,
        rows=rows,
    )


def declared(start: int, end: int, label: str) -> DeclaredRange:
    return DeclaredRange(start=start, end=end, label=label)


def catalogue(sections: list[SectionDoc], ranges: list[DeclaredRange]) -> CatalogueDocument:
    return CatalogueDocument(
        source="test", envelope=(), ranges=tuple(ranges), sections=tuple(sections), error_types=()
    )


ALPHA = section("Alpha", (100, 199), row(100), row(101, "ResourceNotFound", 404))
BETA = section("Beta", (200, 299), row(200, "InternalServerError", 500))
CLEAN_RANGES = [declared(100, 199, "Alpha"), declared(200, 299, "Beta")]


def with_alpha(*rows: CodeRow, bounds: tuple[int, int] | None = (100, 199)) -> CatalogueDocument:
    return catalogue([section("Alpha", bounds, *rows), BETA], CLEAN_RANGES)


def test_a_consistent_catalogue_has_no_findings():
    report = report_of(catalogue([ALPHA, BETA], CLEAN_RANGES))
    assert report.findings == ()
    assert report.ok is True
    assert (report.total, report.counts.error, report.counts.warning, report.counts.info) == (
        0,
        0,
        0,
        0,
    )


def test_an_empty_catalogue_has_no_findings():
    assert report_of(catalogue([], [])).findings == ()


def test_duplicate_in_section():
    found = summarise(report_of(with_alpha(row(100), row(100, "Other", 422))))
    assert found == [("code.duplicate_in_section", (100,), ("Alpha",), ())]


def test_duplicate_across_sections_groups_the_shared_codes():
    gamma = section("Gamma", (100, 199), row(100, "X"), row(101, "Y"), row(150, "Z"))
    doc = catalogue([ALPHA, BETA, gamma], CLEAN_RANGES)
    found = [f for f in report_of(doc).findings if f.rule == "code.duplicate_across_sections"]
    assert [(f.codes, f.sections, f.severity) for f in found] == [
        ((100, 101), ("Alpha", "Gamma"), "error")
    ]
    assert found[0].message.startswith("Alpha and Gamma both document codes 100, 101 (100 is")


def test_duplicate_across_three_sections():
    doc = catalogue(
        [ALPHA, BETA, section("Gamma", None, row(200, "X")), section("Delta", None, row(200))],
        CLEAN_RANGES,
    )
    (found,) = [f for f in report_of(doc).findings if f.rule == "code.duplicate_across_sections"]
    assert found.sections == ("Beta", "Gamma", "Delta")  # page order
    assert found.message.startswith("Beta, Gamma and Delta all document code 200 (")


def test_the_same_number_in_two_namespaces_is_not_a_duplicate():
    thermos = section("Database", None, row(100, "DbBadRequestError"), namespace="thermos")
    assert report_of(catalogue([ALPHA, BETA, thermos], CLEAN_RANGES)).findings == ()


def test_thermos_codes_raise_no_range_findings():
    thermos = section(
        "Database",
        None,
        *(row(code, f"Db{code}Error", 500) for code in range(1, 7)),
        namespace="thermos",
    )
    assert report_of(catalogue([ALPHA, BETA, thermos], CLEAN_RANGES)).findings == ()


def test_entry_outside_its_heading_range():
    found = summarise(report_of(with_alpha(row(100), row(120), bounds=(100, 119))))
    # 120 still lies in Alpha's declared 100-199, so only the heading disagrees; and the heading
    # 100-119 differs from the declared 100-199.
    assert found == [
        ("entry.outside_heading_range", (120,), ("Alpha",), ("100-119 Alpha",)),
        ("section.range_differs_from_declared", (), ("Alpha",), ("100-119 Alpha", "100-199 Alpha")),
    ]


def test_a_section_without_heading_range_is_not_checked_against_one():
    assert "entry.outside_heading_range" not in rules_fired(with_alpha(row(150), bounds=None))


def test_entry_outside_every_declared_range():
    found = summarise(report_of(with_alpha(row(100), row(450), row(451))))
    assert ("entry.outside_declared_ranges", (450, 451), ("Alpha",), ()) in found
    assert ("entry.outside_heading_range", (450, 451), ("Alpha",), ("100-199 Alpha",)) in found
    assert "entry.in_other_service_range" not in {f[0] for f in found}


def test_entry_inside_another_services_range():
    found = summarise(report_of(with_alpha(row(100), row(250))))
    assert ("entry.in_other_service_range", (250,), ("Alpha", "Beta"), ("200-299 Beta",)) in found


def test_entry_in_its_own_range_and_an_overlapping_one_is_reported_as_range_overlap_only():
    doc = catalogue([ALPHA, BETA], [*CLEAN_RANGES, declared(150, 250, "Beta")])
    fired = rules_fired(doc)
    assert "entry.in_other_service_range" not in fired
    assert "range.overlap" in fired


def test_section_range_undeclared():
    gamma = section("Gamma", (300, 399), row(300))
    found = summarise(report_of(catalogue([ALPHA, BETA, gamma], CLEAN_RANGES)))
    assert found == [
        ("entry.outside_declared_ranges", (300,), ("Gamma",), ()),
        ("section.range_undeclared", (), ("Gamma",), ("300-399 Gamma",)),
    ]


def test_section_without_heading_range_is_not_undeclared():
    gamma = section("Gamma", None, row(150, "X"))
    fired = rules_fired(catalogue([ALPHA, BETA, gamma], CLEAN_RANGES))
    assert "section.range_undeclared" not in fired
    assert "section.range_overlaps_declared" not in fired


def test_section_range_differs_from_declared():
    doc = catalogue([ALPHA, section("Beta", (200, 249), row(200))], CLEAN_RANGES)
    found = summarise(report_of(doc))
    assert found == [
        ("section.range_differs_from_declared", (), ("Beta",), ("200-249 Beta", "200-299 Beta"))
    ]


def test_section_range_overlapping_another_services_declared_range():
    gamma = section("Gamma", (250, 349), row(300))
    found = summarise(report_of(catalogue([ALPHA, BETA, gamma], CLEAN_RANGES)))
    assert (
        "section.range_overlaps_declared",
        (),
        ("Gamma", "Beta"),
        ("250-349 Gamma", "200-299 Beta"),
    ) in found


def test_declared_ranges_overlapping_are_reported_once():
    ranges = [declared(100, 199, "Alpha"), declared(150, 299, "Beta")]
    doc = catalogue(
        [ALPHA, section("Beta", (150, 299), row(200, "InternalServerError", 500))], ranges
    )
    found = summarise(report_of(doc))
    assert found == [("range.overlap", (), ("Alpha", "Beta"), ("100-199 Alpha", "150-299 Beta"))]


def test_declared_range_without_section():
    doc = catalogue([ALPHA, BETA], [*CLEAN_RANGES, declared(300, 399, "Ghost")])
    found = summarise(report_of(doc))
    assert found == [
        ("range.no_entries", (), ("Ghost",), ("300-399 Ghost",)),
        ("range.no_section", (), ("Ghost",), ("300-399 Ghost",)),
    ]


def test_declared_range_without_entries():
    doc = catalogue([ALPHA, section("Beta", (200, 299))], CLEAN_RANGES)
    assert summarise(report_of(doc)) == [("range.no_entries", (), ("Beta",), ("200-299 Beta",))]


def test_a_range_holding_only_thermos_codes_has_no_entries():
    thermos = section("Database", None, row(201, "DbError", 500), namespace="thermos")
    doc = catalogue([ALPHA, section("Beta", (200, 299)), thermos], CLEAN_RANGES)
    assert rules_fired(doc) == {"range.no_entries"}


def test_declared_range_holding_only_other_services_entries():
    doc = catalogue(
        [ALPHA, section("Beta", (200, 299)), section("Gamma", None, row(250))], CLEAN_RANGES
    )
    found = summarise(report_of(doc))
    assert ("range.no_own_entries", (250,), ("Beta", "Gamma"), ("200-299 Beta",)) in found
    assert "range.no_entries" not in {f[0] for f in found}


def test_a_range_without_section_is_not_also_without_own_entries():
    ghost = declared(300, 399, "Ghost")
    doc = catalogue([ALPHA, BETA, section("Gamma", None, row(350))], [*CLEAN_RANGES, ghost])
    fired = rules_fired(doc)
    assert "range.no_section" in fired
    assert "range.no_own_entries" not in fired


def test_gaps_between_declared_ranges():
    ranges = [declared(100, 199, "Alpha"), declared(400, 499, "Beta")]
    doc = catalogue([ALPHA, section("Beta", (400, 499), row(400))], ranges)
    (gap,) = report_of(doc).findings
    assert (gap.rule, gap.severity) == ("range.gap", "info")
    assert gap.message == (
        "No declared range covers 200-399, between 100-199 (Alpha) and 400-499 (Beta)."
    )


def test_no_gap_between_adjacent_ranges_or_inside_a_wider_range():
    ranges = [
        declared(100, 999, "Alpha"),  # covers the next one entirely
        declared(200, 299, "Beta"),
        declared(1000, 1099, "Gamma"),  # adjacent to 100-999
    ]
    doc = catalogue(
        [section("Alpha", (100, 999), row(100)), BETA, section("Gamma", (1000, 1099), row(1000))],
        ranges,
    )
    assert "range.gap" not in rules_fired(doc)


# --- names and statuses ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "status", "flagged"),
    [
        ("NotFound", 400, True),
        ("ResourceNotFound", 400, True),
        ("UserOrganisationNotFoundError", 400, True),
        ("ResourceNotFound", 404, False),
        ("DbNotFoundError", 404, False),
        ("NoAPIKeysFound", 400, False),  # says "found", not NotFound: no convention
        ("InternalServerError", 400, True),
        ("InternalServerError", 500, False),
        ("InternalServerError", 503, False),  # any 5xx
        ("BadRequest", 422, True),
        ("CreateBadRequest", 400, False),
        ("DbBadRequestError", 400, False),
        ("Unauthorized", 403, True),
        ("Unauthorized", 401, False),
        ("Forbidden", 401, True),
        ("Forbidden", 403, False),
        ("AlreadyExists", 400, True),
        ("PartnerAlreadyExists", 400, True),
        ("ResourceAlreadyExists", 409, False),
        ("Conflict", 400, True),
        ("Conflict", 409, False),
        ("ConflictedStatus", 409, False),
        ("Gone", 404, True),
        ("TriggerInstanceGone", 410, False),
        ("TooManyRequests", 400, True),
        ("NotImplemented", 500, True),
        ("NotImplemented", 501, False),
        ("ServiceUnavailable", 500, True),
        ("ServiceUnavailable", 503, False),
        ("Unreachable", 500, False),  # names no status
        ("BadState", 422, False),
        ("ValidationError", 403, False),
        ("EMAIL_NOT_AVAILABLE", 400, False),
    ],
)
def test_name_status_convention(name, status, flagged):
    doc = catalogue([ALPHA, BETA, section("Gamma", None, row(150, name, status))], CLEAN_RANGES)
    # Gamma has no heading and a code in Alpha's range; only the convention rule matters here.
    fired = rules_fired(doc) - {"entry.in_other_service_range", "range.no_own_entries"}
    assert fired == ({"entry.name_status_mismatch"} if flagged else set())


def test_name_status_convention_applies_to_thermos_too():
    thermos = section("Database", None, row(2, "DbNotFoundError", 400), namespace="thermos")
    found = summarise(report_of(catalogue([ALPHA, BETA, thermos], CLEAN_RANGES)))
    assert found == [("entry.name_status_mismatch", (2,), ("Database",), ())]


def test_convention_table_is_small_and_covers_the_reason_phrases_it_names():
    suffixes = {c.suffix: (c.low, c.high) for c in NAME_STATUS_CONVENTIONS}
    assert suffixes["NotFound"] == (404, 404)
    assert suffixes["InternalServerError"] == (500, 599)
    assert len(NAME_STATUS_CONVENTIONS) <= 12
