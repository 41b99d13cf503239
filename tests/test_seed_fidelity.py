"""The seed file against the vendor's page: counts, sample rows, and every contradiction kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.catalogue.page import PageFormatError, transcribe
from app.seeds import load_seed

PAGE = Path(__file__).resolve().parent.parent / "seeds" / "source" / "composio-error-codes.txt"


@pytest.fixture(scope="module")
def doc():
    return load_seed()


def rows_of(doc, section):
    (found,) = [s for s in doc.sections if s.name == section]
    return [(r.code, r.name, r.status, r.description) for r in found.rows]


def test_seed_file_is_exactly_the_transcribed_page(doc):
    assert transcribe(PAGE.read_text(encoding="utf-8")) == doc


def test_counts_match_the_page(doc):
    assert len(doc.ranges) == 40
    assert len(doc.sections) == 43
    assert sum(len(s.rows) for s in doc.sections) == 202
    assert len([s for s in doc.sections if s.namespace == "thermos"]) == 1
    assert [t.type for t in doc.error_types] == [
        "json_decode", "action_not_found", "app_spec_not_found", "action_spec_not_found",
        "lambda_invocation", "parse_map_to_struct", "json_encode", "proto_conversion",
        "trigger_not_found", "trigger_spec_not_found",
    ]  # fmt: skip


def test_declared_ranges_as_printed(doc):
    assert (doc.ranges[0].start, doc.ranges[0].end, doc.ranges[0].label) == (
        100,
        199,
        "Prisma/Database",
    )
    assert (doc.ranges[-1].start, doc.ranges[-1].end, doc.ranges[-1].label) == (
        10000,
        10999,
        "HTTP",
    )
    labels = [r.label for r in doc.ranges]
    assert "Project" not in labels and "Notification" not in labels  # as on the page
    assert not any(r.start == 1400 for r in doc.ranges)  # the page declares no 1400-1499


def test_sample_rows(doc):
    assert (1205, "AuthRefreshRequired", 422, "Authentication refresh required") in rows_of(
        doc, "TriggerInstance"
    )
    assert rows_of(doc, "Prisma/Database")[0] == (
        100,
        "BadRequest",
        400,
        "Invalid database request",
    )
    # A *NotFound name with status 400: kept as printed (the integrity report flags it).
    assert rows_of(doc, "Stripe") == [
        (1500, "UserOrganisationNotFoundError", 400, "Stripe user organization not found")
    ]
    assert rows_of(doc, "Sandbox")[-1][0:3] == (4103, "InternalServerError", 500)
    assert rows_of(doc, "Database") == [
        (1, "DbBadRequestError", 400, "Database bad request"),
        (2, "DbNotFoundError", 404, "Database record not found"),
        (3, "DbReadError", 500, "Database read error"),
        (4, "DbWriteError", 500, "Database write error"),
        (5, "DbDeleteError", 500, "Database delete error"),
        (6, "DbInternalError", 500, "Database internal error"),
    ]


def test_contradictions_are_kept_as_printed(doc):
    http = rows_of(doc, "HTTP")
    assert (10503, "ServiceUnavailable", 503, "Service temporarily unavailable") in http
    assert (10503, "BadState", 422, "Invalid system state") in http
    project = {s.name: s for s in doc.sections}["Project"]
    assert (project.heading, project.range_start, project.range_end) == (
        "Project Errors (1800-1899)",
        1800,
        1899,
    )
    assert [r[0] for r in rows_of(doc, "Project")] == [1800, 1801, 1802, 1803, 1804]
    assert [r[0] for r in rows_of(doc, "ActionExecute")][:5] == [1800, 1801, 1802, 1803, 1804]
    assert [r[0] for r in rows_of(doc, "MCP")] == [1141, 1142, 1143, 1144, 1145, 1146]
    assert [r[0] for r in rows_of(doc, "Auth_Config")] == [300, 301, 302, 303, 304]
    notification = {s.name: s for s in doc.sections}["Notification"]
    assert (notification.range_start, notification.range_end) == (3850, 3899)


def test_envelope_format(doc):
    assert [(f.name, f.type, f.required) for f in doc.envelope] == [
        ("message", "string", True),
        ("code", "integer", True),
        ("status", "integer", True),
        ("request_id", "string", True),
        ("suggested_fix", "string", False),
        ("errors", "array", False),
    ]


def test_transcriber_refuses_a_page_it_does_not_understand():
    text = PAGE.read_text(encoding="utf-8").replace("| 1205 |", "| twelve-oh-five |")
    with pytest.raises(PageFormatError):
        transcribe(text)
